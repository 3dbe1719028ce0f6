"""Writes the small export samples of tests/test_import_shapes.py, the same bytes on every run.

    python tests/data/make_samples.py

Each sample has the shape and the quirks of a real export (the mapping beside it in
data/mappings/ says which), but the rows are invented: a fixed seed, no real people. The output
is committed; this script only says how it was made. Changing it changes the samples, and the
tests then compare against the new files (their expected figures are computed from the files).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 9


# -- 1. ACD call log, in the shape of the "Anonymous Bank" log (Mandelbaum, Technion) -----------

ACD_HEADER = ["vru+line", "call_id", "customer_id", "priority", "type", "date", "vru_entry", "vru_exit", "vru_time",
              "q_start", "q_exit", "q_time", "outcome", "ser_start", "ser_exit", "ser_time", "server"]
SERVERS = ["MICHAL", "DORIT", "AVI", "ANAT", "YIFAT", "SHARON", "BENNY", "ELI", "ZOHARI"]
CALL_TYPES = ["PS"] * 12 + ["PE"] * 3 + ["IN"] * 3 + ["NE"] * 2 + ["NW"] * 2 + ["TT"]
ZERO = "0:00:00"


def clock(seconds: int) -> str:
    """H:MM:SS as the log writes it: no leading zero on the hour, wrapping past midnight."""
    seconds %= 86_400
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def acd_calls(rng: random.Random) -> list[list[str]]:
    days = [dt.date(1999, 1, 5), dt.date(1999, 1, 6), dt.date(1999, 1, 7)]
    next_call_id = {vru: 33116 for vru in ("AA01", "AA02", "AA03")}   # each VRU counts its own calls
    regulars = [rng.randint(100_000, 99_999_999) for _ in range(60)]
    rows = []

    def call(day: dt.date, vru_entry: int, outcome: str, q_time: int = 0, ser_time: int = 0,
             vru_time: int | None = None) -> None:
        vru = rng.choice(list(next_call_id))
        line = f"{vru}{rng.randint(1, 16):02d}"
        call_id = next_call_id[vru]
        next_call_id[vru] += rng.randint(1, 3)
        vru_time = vru_time or rng.randint(2, 25)
        vru_exit = vru_entry + vru_time
        identified = outcome != "PHANTOM" and rng.random() < 0.7
        customer = rng.choice(regulars) if identified and rng.random() < 0.4 else (
            rng.randint(100_000, 99_999_999) if identified else 0)
        q_start = q_exit = ser_start = ser_exit = ZERO
        server = "NO_SERVER"
        if q_time:
            q_start, q_exit = clock(vru_exit), clock(vru_exit + q_time)
        if outcome == "AGENT":
            start = vru_exit + q_time
            ser_start, ser_exit = clock(start), clock(start + ser_time)
            server = rng.choice(SERVERS)
        rows.append([line, str(call_id), str(customer), str(rng.choice([0, 1, 2, 2])),
                     rng.choice(CALL_TYPES), day.strftime("%y%m%d"), clock(vru_entry), clock(vru_exit), str(vru_time),
                     q_start, q_exit, str(q_time), outcome, ser_start, ser_exit, str(ser_time), server])

    for day in days:
        for _ in range(140):
            entry = rng.randint(7 * 3600, 23 * 3600 + 50 * 60)
            kind = rng.random()
            if kind < 0.05:
                call(day, entry, "PHANTOM")
            elif kind < 0.17:
                call(day, entry, "HANG")                                   # hung up in the VRU, never queued
            elif kind < 0.30:
                call(day, entry, "HANG", q_time=rng.randint(5, 400))        # abandoned in the queue
            elif kind < 0.42:
                call(day, entry, "AGENT", ser_time=rng.randint(20, 900))    # an agent was free: no queue
            else:
                call(day, entry, "AGENT", q_time=rng.randint(1, 300), ser_time=rng.randint(20, 900))
        # the last calls of the day: service, or the queue and service, run past midnight
        call(day, 23 * 3600 + 57 * 60 + 10, "AGENT", q_time=75, ser_time=272, vru_time=15)   # 23:58:40 -> 0:03:12
        call(day, 23 * 3600 + 58 * 60 + 30, "AGENT", q_time=rng.randint(80, 200), ser_time=rng.randint(60, 400))
        call(day, 23 * 3600 + 59 * 60, "HANG", q_time=rng.randint(70, 200))
    rows.sort(key=lambda r: (r[0], int(r[1])))   # the log lists calls by line, then call id
    return rows


# -- 2. ServiceNow incident event log, in the shape of the UCI "Incident management process
#       enriched event log": one row per update of an incident ----------------------------------

INCIDENT_HEADER = ["number", "incident_state", "active", "reassignment_count", "reopen_count", "sys_mod_count",
                   "made_sla", "caller_id", "opened_by", "opened_at", "sys_updated_by", "sys_updated_at",
                   "contact_type", "location", "category", "subcategory", "impact", "urgency", "priority",
                   "assignment_group", "assigned_to", "knowledge", "closed_code", "resolved_by", "resolved_at",
                   "closed_at"]
CONTACT_TYPES = ["Phone"] * 10 + ["Email"] * 3 + ["Self service"] * 3 + ["Direct opening"] * 2 + ["IVR"]
GROUPS = {f"Group {g}": [f"Resolver {r}" for r in resolvers] for g, resolvers in
          ((24, (17, 31, 62)), (56, (8, 89)), (70, (125, 140, 12)), (25, (97, 203)), (39, (44,)))}
LEVELS = ["1 - High", "2 - Medium", "3 - Low"]
PRIORITIES = {("1 - High", "1 - High"): "1 - Critical", ("1 - High", "2 - Medium"): "2 - High",
              ("2 - Medium", "1 - High"): "2 - High", ("2 - Medium", "2 - Medium"): "3 - Moderate"}


def servicenow_time(moment: dt.datetime) -> str:
    return f"{moment.day}/{moment.month}/{moment.year} {moment:%H:%M}"   # 29/2/2016 01:16


def incident(rng: random.Random, number: int, opened: dt.datetime) -> list[list[str]]:
    final = rng.choices(["Closed", "Resolved", "Active", "Awaiting User Info", "New"], [55, 18, 13, 9, 5])[0]
    reassignments = rng.choices(range(8), [30, 22, 14, 10, 8, 7, 5, 4])[0] if final != "New" else 0
    reopened = final in ("Closed", "Resolved") and rng.random() < 0.15
    impact, urgency = rng.choice(LEVELS), rng.choice(LEVELS)
    fixed = {"number": f"INC{number:07d}", "caller_id": f"Caller {rng.randint(100, 5000)}",
             "opened_by": f"Opened by  {rng.randint(1, 400)}", "opened_at": servicenow_time(opened),
             "contact_type": rng.choice(CONTACT_TYPES), "location": f"Location {rng.randint(1, 220)}",
             "category": f"Category {rng.choice([20, 26, 42, 46, 53, 55])}",
             "subcategory": f"Subcategory {rng.randint(1, 250)}", "impact": impact, "urgency": urgency,
             "priority": PRIORITIES.get((impact, urgency), "4 - Low"), "knowledge": rng.choice(["true", "false"])}
    state = {"incident_state": "New", "active": "true", "reassignment_count": 0, "reopen_count": 0,
             "made_sla": "true", "assignment_group": "?", "assigned_to": "?", "closed_code": "?",
             "resolved_by": "?", "resolved_at": "?", "closed_at": "?"}
    moment = opened + dt.timedelta(minutes=rng.randint(1, 20))
    events = []

    def record(**changes) -> None:
        nonlocal moment
        state.update(changes)
        events.append({**fixed, **state, "sys_mod_count": len(events), "sys_updated_at": servicenow_time(moment),
                       "sys_updated_by": f"Updated by {rng.randint(1, 900)}"})
        moment += dt.timedelta(minutes=rng.randint(7, 60 * 30))

    def assign(group: str) -> dict:
        return {"assignment_group": group, "assigned_to": rng.choice(GROUPS[group])}

    record()
    if final == "New":
        if rng.random() < 0.5:
            record()   # an update (a comment) before anyone took it
        return [as_row(e) for e in events]
    group = rng.choice(list(GROUPS))
    record(incident_state="Active", **assign(group))
    for count in range(1, reassignments + 1):
        group = rng.choice([g for g in GROUPS if g != group])
        record(reassignment_count=count, **assign(group))
        if rng.random() < 0.3:
            record(incident_state="Awaiting User Info")
            record(incident_state="Active")
    if final in ("Active", "Awaiting User Info"):
        if final == "Awaiting User Info" or rng.random() < 0.4:
            record(incident_state="Awaiting User Info")
        if final == "Active":
            record(incident_state="Active")
        return [as_row(e) for e in events]
    resolver = f"Resolved by {rng.randint(1, 230)}"
    if moment > opened + dt.timedelta(days=3):
        state["made_sla"] = "false"
    record(incident_state="Resolved", resolved_by=resolver, resolved_at=servicenow_time(moment),
           closed_code=f"code {rng.randint(1, 17)}")
    if reopened:   # the caller says it is not fixed: the resolution is withdrawn
        record(incident_state="Active", reopen_count=1, resolved_at="?", resolved_by="?", closed_code="?")
        record(incident_state="Resolved", resolved_by=resolver, resolved_at=servicenow_time(moment),
               closed_code=f"code {rng.randint(1, 17)}")
    if final == "Closed":
        moment += dt.timedelta(days=5)   # closed automatically after five days
        record(incident_state="Closed", active="false", closed_at=servicenow_time(moment - dt.timedelta(minutes=1)))
    return [as_row(e) for e in events]


def as_row(event: dict) -> list[str]:
    return [str(event[c]) for c in INCIDENT_HEADER]


def incident_events(rng: random.Random) -> list[list[str]]:
    rows = []
    opened = dt.datetime(2016, 2, 29, 1, 16)
    for number in range(45, 45 + 70 * 7, 7):
        events = incident(rng, number, opened)
        if len(events) >= 3 and rng.random() < 0.25:
            # some incidents' updates come out of order: the latest is never the file's last row
            latest = events.pop()
            events.insert(rng.randint(0, len(events) - 1), latest)
        rows += events
        opened += dt.timedelta(minutes=rng.randint(30, 14 * 60))
    return rows


# -- 3. Helpdesk ticket export: multi-line quoted descriptions, CRLF, open tickets ---------------

TICKET_HEADER = ["Ticket ID", "Created", "Customer", "Channel", "Category", "Priority", "Subject", "Description",
                 "Status", "Group", "Agent", "First Response", "Resolved", "Time Spent (min)", "Satisfaction"]
TICKET_GROUPS = {"Billing": ["Priya Natarajan", "Tom O'Neill", "Grace Mbeki"],
                 "Technical": ["Lukas Novak", "Mei Chen", "Sofia Alvarez", "Daniel Okafor"],
                 "Accounts": ["Hannah Becker", "Omar Haddad"]}
TICKET_CATEGORIES = {"Billing": ["Invoice question", "Refund"], "Technical": ["Login problem", "Product defect"],
                     "Accounts": ["Change of address", "Close account"]}
DESCRIPTIONS = {   # by category: typed into a web form, so newlines, commas and quotes come as they are
    "Invoice question": ["Invoice {n} shows 3 units, I ordered 2.\nCan you send a corrected invoice?",
                         "Hello,\nI was charged twice for order {n}, once on the 3rd and again on the 5th.\n"
                         "Which one is right?"],
    "Refund": ["Where is my refund? It has been 10 days.",
               "Hi team,\n\nthe item arrived broken: the lid is cracked, the hinge is loose.\nPhotos attached, "
               "please refund.\n\nThanks, {name}"],
    "Login problem": ['The app says "session expired" every time I log in, even right after resetting my password.'
                      "\r\nI use Android 14, version 5.2.1."],
    "Product defect": ['Error message: "Code 503, service unavailable" when I press "Pay" on the checkout page.\n'
                       "Tried Chrome and Firefox.", "The charger stopped working after a week, the light blinks red."],
    "Change of address": ['Please update my address to "Flat 2, 14 Mill Lane", Leeds.'],
    "Close account": ["I'd like to close my account. I've moved to another provider, no hard feelings.",
                      "Close my account please.\nReason: too expensive, and\nthe app is slow."],
}
FIRST_NAMES = ["Anna", "Ben", "Chloe", "Dev", "Eva", "Femi", "Gus", "Hiro", "Ines", "Jon"]


def ticket_time(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def support_tickets(rng: random.Random) -> list[list[str]]:
    rows = []
    created = dt.datetime(2024, 5, 6, 8, 2)
    for number in range(1001, 1161):
        group = rng.choice(list(TICKET_GROUPS))
        status = rng.choices(["Closed", "Pending", "Open"], [70, 12, 18])[0]
        agent = rng.choice(TICKET_GROUPS[group])
        first_response = resolved = spent = rating = ""
        responded = status != "Open" or rng.random() < 0.4
        response_at = created + dt.timedelta(minutes=rng.randint(2, 60 * 26))
        if responded:
            first_response = ticket_time(response_at)
            spent = str(rng.randint(3, 95))
        else:
            agent = "" if rng.random() < 0.7 else agent   # not yet picked up by anyone
        if status == "Closed":
            resolved = ticket_time(response_at + dt.timedelta(minutes=rng.randint(0, 60 * 72)))
            if rng.random() < 0.55:
                rating = str(rng.choices([1, 2, 3, 4, 5], [6, 8, 14, 32, 40])[0])
        category = rng.choice(TICKET_CATEGORIES[group])
        description = rng.choice(DESCRIPTIONS[category]).format(n=f"{rng.randint(10_000, 99_999)}",
                                                                 name=rng.choice(FIRST_NAMES))
        rows.append([f"TCK-{number}", ticket_time(created), f"CUST-{rng.randint(20_000, 20_150)}",
                     rng.choices(["Email", "Phone", "Chat", "Social media"], [45, 25, 22, 8])[0],
                     category, rng.choice(["Low", "Normal", "Normal", "High", "Urgent"]),
                     description.split("\n")[0].strip(" ,.")[:60], description, status, group, agent,
                     first_response, resolved, spent, rating])
        created += dt.timedelta(minutes=rng.randint(5, 240))
    return rows


# -- 4. HR export on a 1-4 scale, in the shape of the IBM HR attrition data set -----------------

HR_HEADER = ["EmployeeNumber", "Name", "Department", "Team", "Location", "HireDate", "TerminationDate", "Attrition",
             "SurveyDate", "JobSatisfaction", "EnvironmentSatisfaction", "RelationshipSatisfaction",
             "WorkLifeBalance"]
HR_TEAMS = {"Customer Service": [("CS North", "Leeds"), ("CS South", "Bristol")],
            "Collections": [("Collections", "Leeds")], "Sales Support": [("Sales Support", "Bristol")]}
SURNAMES = ["Ahmed", "Baker", "Clarke", "Davies", "Evans", "Fischer", "Green", "Hughes", "Iqbal", "Jones",
            "Khan", "Lewis", "Morgan", "Nowak", "Owen", "Patel", "Quinn", "Roberts", "Singh", "Turner",
            "Usman", "Vaughan", "Walsh", "Young"]
GIVEN = ["Amy", "Ravi", "Beth", "Carl", "Dina", "Emre", "Fay", "Gary", "Hana", "Ivan", "Jade", "Kofi", "Lena",
         "Marc", "Nina", "Olu"]
WAVES = [dt.date(2023, 3, 15), dt.date(2023, 9, 15), dt.date(2024, 3, 15)]


def answer(rng: random.Random, weights: list[int]) -> str:
    return str(rng.choices([1, 2, 3, 4], weights)[0])


def hr_survey(rng: random.Random) -> list[list[str]]:
    rows = []
    names = rng.sample([f"{g} {s}" for g in GIVEN for s in SURNAMES], 72)
    for number, name in enumerate(names, start=1001):
        department = rng.choices(list(HR_TEAMS), [6, 2, 2])[0]
        team, location = rng.choice(HR_TEAMS[department])
        hired = dt.date(2016, 1, 4) + dt.timedelta(days=rng.randint(0, 2500))
        left = None
        if rng.random() < 0.25:
            left = max(hired + dt.timedelta(days=60), dt.date(2023, 1, 2)) + dt.timedelta(days=rng.randint(0, 480))
        unhappy = left is not None
        for wave in WAVES:
            employed = hired <= wave - dt.timedelta(days=30) and (left is None or left > wave)
            if not employed or rng.random() < 0.12:   # not every employee answers every wave
                continue
            mood = [30, 30, 25, 15] if unhappy else [8, 17, 40, 35]
            rows.append([str(number), name, department, team, location, f"{hired:%m/%d/%Y}",
                         f"{left:%m/%d/%Y}" if left else "", "Yes" if left else "No", f"{wave:%m/%d/%Y}",
                         answer(rng, mood), answer(rng, mood), answer(rng, [10, 20, 40, 30]),
                         answer(rng, [10, 25, 45, 20])])
    return rows


# -- 5. An aggregated export: one row per day (counts, not contacts) ------------------------------

def daily_calls(rng: random.Random) -> list[list[str]]:
    rows = []
    for offset in range(10):
        offered = rng.randint(800, 1400)
        answered = offered - rng.randint(20, 120)
        rows.append([f"{dt.date(2024, 4, 1) + dt.timedelta(days=offset):%Y-%m-%d}", str(offered), str(answered),
                     str(rng.randint(15, 95))])
    return rows


# -- 6. An ACD interval report: one row per 30-minute interval, queue and channel (counts) ---------

INTERVAL_HEADER = ["Interval Start", "Queue", "Channel", "Offered", "Answered", "Abandoned", "Answered in 20s",
                   "Abandoned after 20s", "Avg Speed of Answer", "Avg Handle Time"]
QUEUES = {"Billing": 1.0, "Tech Support": 1.4, "Sales": 0.6}   # relative volumes
CHANNELS = {"Voice": 1.0, "Chat": 0.45}
HANDLE_S = {"Voice": 300, "Chat": 480}


def acd_intervals(rng: random.Random) -> list[list[str]]:
    """Three weeks, 08:00-18:00 on weekdays and 09:00-13:00 on Saturdays. Rows are written for every
    interval of opening hours, quiet ones with 0 offered and empty averages, as ACDs write them; some
    offered contacts are neither answered nor abandoned (flowed out to another queue)."""
    rows = []
    for offset in range(21):
        day = dt.date(2025, 3, 3) + dt.timedelta(days=offset)   # a Monday
        if day.weekday() == 6:
            continue
        opens, closes = (9, 13) if day.weekday() == 5 else (8, 18)
        for half_hour in range(opens * 2, closes * 2):
            start = dt.datetime.combine(day, dt.time(half_hour // 2, 30 * (half_hour % 2)))
            # calls peak late morning and early afternoon
            shape = 1.0 + 0.6 * (1 - abs(half_hour / 2 - 11.5) / 4.5)
            for queue, volume in QUEUES.items():
                for channel, share in CHANNELS.items():
                    expected = 9 * volume * share * shape
                    offered = max(0, round(rng.gauss(expected, expected ** 0.5)))
                    busy = rng.random()                          # how short of staff the interval was
                    abandoned = sum(rng.random() < 0.02 + 0.12 * busy for _ in range(offered))
                    flowed_out = sum(rng.random() < 0.01 for _ in range(offered - abandoned))
                    answered = offered - abandoned - flowed_out
                    within = sum(rng.random() < 0.9 - 0.5 * busy for _ in range(answered))
                    late_abandons = sum(rng.random() < 0.3 + 0.5 * busy for _ in range(abandoned))
                    asa = f"{rng.uniform(4, 12) + 60 * busy ** 2:.1f}" if answered else ""
                    aht = (f"{dt.timedelta(seconds=round(rng.gauss(HANDLE_S[channel], 40)))}"
                           if answered else "")
                    rows.append([f"{start:%Y-%m-%d %H:%M}", queue, channel, str(offered), str(answered),
                                 str(abandoned), str(within), str(late_abandons), asa, aht])
    return rows


def write(name: str, header: list[str], rows: list[list[str]], delimiter: str = ",", line_end: str = "\n") -> None:
    with open(HERE / name, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator=line_end,
                            quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL)
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    rng = random.Random(SEED)
    write("acd_calls.tsv", ACD_HEADER, acd_calls(rng), delimiter="\t")
    write("incident_events.csv", INCIDENT_HEADER, incident_events(rng))
    write("support_tickets.csv", TICKET_HEADER, support_tickets(rng), line_end="\r\n")
    write("hr_survey.csv", HR_HEADER, hr_survey(rng))
    write("daily_calls.csv", ["Date", "Calls Offered", "Calls Answered", "Avg Wait"], daily_calls(rng))
    # its own generator, so the samples above stay the same bytes
    write("acd_intervals.csv", INTERVAL_HEADER, acd_intervals(random.Random(SEED + 1)))


if __name__ == "__main__":
    main()
