-- The public schema of the store: analysts write SQL against these names.
-- Times are local wall-clock TIMESTAMPs of the centre; durations are whole seconds.

create table teams (
    team_id       integer primary key,
    team_name     varchar not null unique,
    site          varchar not null,
    manager_name  varchar not null,
    planned_seats integer            -- agents the team is planned to have; vacancies leave it short
);

create table agents (
    agent_id        integer primary key,
    agent_name      varchar not null,
    team_id         integer not null,
    hired_on        date not null,
    left_on         date,            -- null while employed
    leave_reason    varchar,
    authority_limit decimal(10, 2) not null,  -- money the agent may grant without approval (current)
    hiring_profile  varchar
);

create table customers (
    customer_id integer primary key,
    segment     varchar not null,
    joined_on   date not null,
    churned_on  date                 -- null while still a customer
);

create table touchpoints (
    touchpoint_id   integer primary key,
    touchpoint_name varchar not null unique,
    owner_unit      varchar not null,   -- the one unit accountable for this touchpoint
    sla_name        varchar not null,
    sla_seconds     integer not null,
    sla_measure     varchar not null    -- what the SLA is measured on: 'wait_s' or 'resolution_s'
);

-- interaction_id is unique; it is not declared a primary key because an index over tens of
-- millions of rows slows every load and no query looks rows up one at a time.
create table interactions (
    interaction_id      bigint not null,
    customer_id         integer,
    agent_id            integer,            -- null if abandoned
    team_id             integer not null,
    touchpoint_id       integer not null,
    channel             varchar not null,   -- phone, chat, messaging
    queued_at           timestamp not null,
    answered_at         timestamp,          -- null if abandoned
    ended_at            timestamp,
    wait_s              integer,            -- time in queue (until answer or abandon); null if the export lacks it
    handle_s            integer,            -- talk + wrap-up; null if abandoned
    abandoned           boolean not null,
    resolved            boolean,            -- null if abandoned
    transfers           integer,
    exception_requested boolean,            -- customer asked for something needing authority
    exception_amount    decimal(10, 2),     -- money asked for, when an exception was requested
    escalation_depth    integer,            -- 0 agent decided, 1 team lead, 2 manager, 3 senior management
    decided_at          timestamp,          -- when the exception was decided
    resolution_s        integer,            -- queue to resolution, including escalation delays
    repeat_within_7d    boolean             -- derived: same customer, same touchpoint, again within 7 days
);

create table customer_surveys (
    interaction_id bigint not null,
    answered_at    timestamp not null,
    csat           integer,   -- 1-5
    nps            integer,   -- 0-10
    ces            integer    -- 1-7
);

-- The SQL lab never sees this table: its store (dashboard/scopes.py, purpose "lab") holds
-- agent_survey_groups instead, answers grouped by team, month and milestone, only for groups of at
-- least DASHBOARD_MIN_RESPONDENTS agents (data/lab_schema.sql), and agents without leave_reason.
create table agent_surveys (
    agent_id          integer not null,
    surveyed_at       date not null,
    milestone         varchar not null,  -- '3m', '6m', '12m', '24m' after hire, or 'pulse'
    satisfaction      integer,           -- 1-5
    enps              integer,           -- 0-10
    empowerment       integer,           -- 1-5
    manager_support   integer,           -- 1-5
    training_adequacy integer,           -- 1-5
    pressure          integer            -- 1-5, higher is more pressure
);

create table agent_requests (
    request_id  integer primary key,
    agent_id    integer not null,
    kind        varchar not null,   -- leave, schedule, equipment, professional
    opened_at   timestamp not null,
    answered_at timestamp           -- null while unanswered
);

create table training (
    agent_id       integer not null,
    held_on        date not null,
    training_hours double not null,
    topic          varchar not null
);

create table events (
    event_id  integer primary key,
    starts_on date not null,
    ends_on   date,
    title     varchar not null,
    category  varchar not null,
    team_id   integer            -- null = the whole centre
);

-- The KPI layer at interval grain (docs/design.md section 11): one row per 30-minute interval x team x
-- channel x touchpoint holding contacts, with the summed numerators and denominators of every contact
-- KPI (section 4), so a tile, trend or heatmap sums a few hundred thousand rows instead of scanning
-- tens of millions of contacts. Built from interactions and customer_surveys whenever a store holding
-- contacts is published (dashboard/rollups.py), inside the same build-then-publish step, so it never
-- disagrees with them; a store with only ACD interval reports imports its rows here directly. "Every
-- publish" below means every publish that changes what the rollups read (importer.ROLLUP_INPUTS): an
-- import of agent-side tables only leaves them as they are, still equal to the contacts. A count a
-- source lacks is NULL; store_coverage says which columns are supplied (from their contact columns).
-- Intervals never straddle a day, hour or week, so daily, hourly and weekly figures equal those of the
-- contacts. Survey answers count in the interval of the contact they answer.
create table contact_intervals (
    interval_start          timestamp not null,  -- start of the interval the contacts joined the queue in
    team_id                 integer not null,
    channel                 varchar not null,
    touchpoint_id           integer not null,
    offered                 bigint not null,     -- contacts that joined the queue
    abandoned               bigint,              -- of them, abandoned before an answer
    answered                bigint,              -- of them, answered
    answered_with_wait      bigint,              -- answered contacts whose wait is recorded
    answered_wait_s         bigint,              -- their total wait, seconds
    answered_within_20s     bigint,              -- answered within 20 s of queueing
    abandoned_after_20s     bigint,              -- abandoned after waiting more than 20 s
    abandoned_with_wait     bigint,              -- abandoned contacts whose wait (time until hanging up) is recorded
    abandoned_wait_s        bigint,              -- their total wait, seconds (callers' patience: wait_times_staffing_inputs)
    handled                 bigint,              -- answered contacts whose handle time is recorded
    handle_s                bigint,              -- their total handle time, seconds
    resolution_known        bigint,              -- answered contacts whose resolution is recorded
    first_contact_resolved  bigint,              -- answered, resolved, and no repeat within 7 days
    depth_recorded          bigint,              -- answered contacts whose escalation level is recorded
    escalated               bigint,              -- of them, decided above the agent (depth > 0)
    wait_sla_judged         bigint,              -- contacts judged on a wait SLA (touchpoints.sla_measure 'wait_s')
    wait_sla_met            bigint,              -- of them, answered within the touchpoint's sla_seconds
    resolution_sla_judged   bigint,              -- contacts judged on a resolution SLA ('resolution_s')
    resolution_sla_met      bigint,              -- of them, resolved within sla_seconds of queueing
    csat_answers            bigint,              -- survey answers with a CSAT, on these contacts
    csat_satisfied          bigint,              -- of them, 4 or 5
    nps_answers             bigint,
    promoters               bigint,              -- NPS 9-10
    detractors              bigint,              -- NPS 0-6
    ces_answers             bigint,
    ces_sum                 bigint               -- sum of CES answers (1-7): CES = ces_sum / ces_answers
);

-- The same sums per day (dashboard/rollups.py builds it from contact_intervals at every publish, with the
-- same columns but `day` for `interval_start`): every figure by day, week, month or period reads this
-- table of at most days x teams x channels x touchpoints rows, however many contacts the store holds;
-- only figures by hour of day need the intervals.
create table contact_days (
    day                     date not null,
    team_id                 integer not null,
    channel                 varchar not null,
    touchpoint_id           integer not null,
    offered                 bigint not null,
    abandoned               bigint,
    answered                bigint,
    answered_with_wait      bigint,
    answered_wait_s         bigint,
    answered_within_20s     bigint,
    abandoned_after_20s     bigint,
    abandoned_with_wait     bigint,
    abandoned_wait_s        bigint,
    handled                 bigint,
    handle_s                bigint,
    resolution_known        bigint,
    first_contact_resolved  bigint,
    depth_recorded          bigint,
    escalated               bigint,
    wait_sla_judged         bigint,
    wait_sla_met            bigint,
    resolution_sla_judged   bigint,
    resolution_sla_met      bigint,
    csat_answers            bigint,
    csat_satisfied          bigint,
    nps_answers             bigint,
    promoters               bigint,
    detractors              bigint,
    ces_answers             bigint,
    ces_sum                 bigint
);

-- Contacts summed per calendar month x team x agent x channel x touchpoint x outcome (docs/design.md
-- section 11): the rollup the agent rankings, training, escalation and survey-response queries read
-- instead of joining tens of millions of contacts to their survey answers. A few hundred thousand
-- rows, whatever the number of contacts. Built with contact_intervals at every publish of a store
-- holding contacts (dashboard/rollups.py), from contact_month_rows below, so it never disagrees with
-- the contacts. Queries read it through filtered_contact_months, which takes whole months of the
-- period from here and its partial months from the contacts themselves: any period gives the same
-- figures as the contacts. Survey answers count in the month of the contact they answer; a contact
-- counts once however many answers it has. It holds no agent survey answer (agent_surveys).
create table contact_months (
    month                   date not null,       -- first day of the month the contacts joined the queue in
    team_id                 integer not null,
    agent_id                integer,             -- null: no agent (abandoned, or not recorded)
    channel                 varchar not null,
    touchpoint_id           integer not null,
    abandoned               boolean not null,
    exception_requested     boolean,
    escalation_depth        integer,
    contacts                bigint not null,
    handled                 bigint not null,     -- contacts whose handle time is recorded
    handle_s                bigint,              -- their total handle time, seconds (null: none recorded)
    -- the sum of their squared handle times (null: none recorded), for the spread of AHT (the mirror's
    -- interval). An integer, not a double: an integer sum is exact in any order of adding, so any
    -- period's sum equals the contacts' own; hugeint, what DuckDB's sum of integers gives (no overflow)
    handle_s_squared        hugeint,
    resolution_known        bigint not null,     -- contacts whose resolution is recorded
    resolved                bigint not null,
    first_contact_resolved  bigint not null,     -- resolved and no repeat within 7 days
    surveyed                bigint not null,     -- contacts with at least one survey answer
    survey_answers          bigint not null,     -- survey answers on these contacts (rows of customer_surveys)
    csat_answers            bigint not null,
    csat_satisfied          bigint not null,     -- CSAT 4-5
    nps_answers             bigint not null,
    promoters               bigint not null,     -- NPS 9-10
    detractors              bigint not null      -- NPS 0-6
);

-- Contacts per day x team x channel x touchpoint x bucket of their time in queue (wait_bucket below):
-- what CSAT by wait and abandon rate by time in queue (the wait-times page) read instead of bucketing
-- every contact of the period. At most days x teams x channels x touchpoints x 8 rows, whatever the
-- number of contacts. Built with contact_intervals at every publish of a store holding contacts
-- (dashboard/rollups.py), so it never disagrees with them; empty for a store of interval reports only
-- (its counts cannot be bucketed by single waits). Queries read it through filtered_wait_days.
create table contact_wait_days (
    day             date not null,       -- the day the contacts joined the queue
    team_id         integer not null,
    channel         varchar not null,
    touchpoint_id   integer not null,
    wait_bucket     smallint,            -- wait_bucket(wait_s), 1 ('0-10 s') to 7 ('10 min+'); NULL: wait not recorded
    offered         bigint not null,     -- contacts that joined the queue
    abandoned       bigint not null,     -- of them, abandoned before an answer
    csat_answers    bigint not null,     -- survey answers with a CSAT on the answered ones (a contact answering twice counts twice)
    csat_satisfied  bigint not null      -- of them, 4 or 5
);

-- Per customer and scope that served them (team x channel x touchpoint), the day of its first contact
-- with them, beside the customer's joining and churn dates: what customer churn with a site, team,
-- channel or touchpoint filter reads (filtered_customers below) instead of every contact up to the
-- period's end. "The scope served the customer by date_to" is a row of the scope with first_on <=
-- date_to. One row per customer and scope ever served (about 0.8 rows per contact in the demo), only for
-- contacts whose customer is in customers. Built with contact_intervals at every publish of a store
-- holding contacts (dashboard/rollups.py), so it never disagrees with the contacts or the customers;
-- in team order (and in first-contact order within a team), so a team filter reads only its team's rows.
create table customer_first_contacts (
    customer_id     integer not null,
    team_id         integer not null,
    channel         varchar not null,
    touchpoint_id   integer not null,
    first_on        date not null,       -- the day of the customer's first contact with this team, channel and touchpoint
    -- true on one row per customer and team: the earliest (ties broken by channel, then touchpoint), so its
    -- first_on is the customer's first contact with the team and a team filter counts each customer once
    first_for_team  boolean not null,
    joined_on       date not null,       -- customers.joined_on
    churned_on      date                 -- customers.churned_on (null while still a customer)
);

-- Customer churn by experience (attrition page) without a site, team, channel or touchpoint filter: the
-- contacts that are a customer's first of a set of experiences in some period, counted. For a set X
-- (any contact; a known wait; a long wait; an escalation; a low CSAT answer; and the unions the page's
-- inclusion-exclusion needs), a contact with X is the customer's first X-contact of a period starting on
-- date_from, by a customer who joined before date_from, exactly when since_X < date_from: since_X is the
-- later of the customer's joining day and the day of their previous contact with X (in queue order), so
-- counting such contacts counts each customer of the period once, with no grouping by customer (at 100M
-- contacts a quarter holds about 9M customers). since_X is NULL when the contact has no X, or when it can
-- never be before a period holding the contact's day (the previous X-contact was the same day). Contacts
-- with the same day, churn date and since days are one row (about a sixth of the contacts at 100M demo
-- contacts). Only contacts whose customer and touchpoint are in their tables, as the page's figures count
-- them (it reads teams too, which this is not built from: a store holding a contact of a team not in
-- teams is read another way, see the query). Built from customer_experience_first_rows (below) at every
-- publish of a store holding contacts (dashboard/rollups.py), so it never disagrees with them; in day
-- order (then by every other column), so a period reads only its days.
create table customer_experience_firsts (
    day                           date not null,     -- the contacts' queueing day
    churned_on                    date,              -- their customer's churn day (customers.churned_on)
    since_contact                 date,
    since_known_wait              date,              -- a recorded wait, or abandoned
    since_long_wait               date,              -- more than 5 minutes, or abandoned
    since_escalated               date,              -- to a manager or above (depth 2 or more)
    since_low_csat                date,              -- a CSAT answer of 1 or 2
    since_known_wait_or_escalated date,
    since_known_wait_or_low_csat  date,
    since_any_bad                 date,              -- a long wait, an escalation or a low CSAT answer
    since_known_wait_or_any_bad   date,
    contacts                      bigint not null
);

-- Customer churn by experience with a team filter alone (a site too, or not): customer_experience_firsts' rows
-- per team, a customer's previous contacts being theirs with the same team. A contact with X is the
-- customer's first X-contact with its team in a period starting on date_from, by a customer who joined
-- before date_from, exactly when since_X < date_from; so a team's period sums its rows, with no grouping by
-- customer (at 100M demo contacts a team's month holds about 300,000 customers). Only contacts whose customer
-- and touchpoint are in their tables; built with customer_experience_firsts at every publish of a store
-- holding contacts (dashboard/rollups.py), from the same customer_experience_first_rows; in team order, then
-- day order, so a team's period reads only its team's days.
create table customer_team_experience_firsts (
    team_id                       integer not null,
    day                           date not null,
    churned_on                    date,
    since_contact                 date,
    since_known_wait              date,
    since_long_wait               date,
    since_escalated               date,
    since_low_csat                date,
    since_known_wait_or_escalated date,
    since_known_wait_or_low_csat  date,
    since_any_bad                 date,
    since_known_wait_or_any_bad   date,
    contacts                      bigint not null
);

-- Customer churn by experience without a site, team, channel or touchpoint filter, counted for every period
-- of whole days starting within the last two years of customer_experience_firsts' days (rollups.CHURN_PERIOD_DAYS)
-- and ending by its last day: for each set of experiences (customer_experience_firsts' since_ columns), the
-- customers of the period who had it (their first such contact of the period is in it, and they were
-- customers at its start), and of them those who churned by its end. What the attrition page reads for such
-- a period: one row, however many customers (about 9M in a quarter at 100M demo contacts). Built from
-- customer_experience_firsts at every publish (dashboard/rollups.py), so it never disagrees with it; in
-- period order.
create table experience_churn_periods (
    period_from                           date not null,
    period_to                             date not null,
    contact                               bigint not null,
    known_wait                            bigint not null,
    long_wait                             bigint not null,
    escalated                             bigint not null,
    low_csat                              bigint not null,
    known_wait_or_escalated               bigint not null,
    known_wait_or_low_csat                bigint not null,
    any_bad                               bigint not null,
    known_wait_or_any_bad                 bigint not null,
    contact_churned                       bigint not null,
    known_wait_churned                    bigint not null,
    long_wait_churned                     bigint not null,
    escalated_churned                     bigint not null,
    low_csat_churned                      bigint not null,
    known_wait_or_escalated_churned       bigint not null,
    known_wait_or_low_csat_churned        bigint not null,
    any_bad_churned                       bigint not null,
    known_wait_or_any_bad_churned         bigint not null
);

-- Resolved contacts counted per calendar month x team x channel x touchpoint x exception request x
-- escalation level x time to resolution in seconds: what the median and quartiles of time to
-- resolution by deciding level (escalations page) read instead of every contact of the period. A
-- quantile needs every distinct time, not a sum, so this holds one row per distinct time in each
-- cell: at 100M demo contacts about 17M rows (the escalated levels' times are nearly all distinct);
-- cumulative counts over the times then give exactly the figure quantile_cont gives over the
-- contacts. Only contacts answered, resolved and with a recorded resolution time (the only ones the
-- figure reads). Built a month at a time with contact_intervals at every publish of a store holding
-- contacts (dashboard/rollups.py), from resolution_count_rows below, so it never disagrees with the
-- contacts; empty for a store of interval reports. Queries read it through filtered_resolutions.
create table contact_resolutions (
    month               date not null,       -- first day of the month the contacts joined the queue in
    team_id             integer not null,
    channel             varchar not null,
    touchpoint_id       integer not null,
    exception_requested boolean,
    escalation_depth    integer,
    resolution_s        integer not null,    -- queue to resolution, seconds
    contacts            bigint not null      -- resolved contacts with exactly this time
);

-- The same summed over every team, channel and touchpoint (month x exception request x escalation
-- level x time): what a period with no site, team, channel or touchpoint filter reads, about a tenth
-- of contact_resolutions' rows. Built from contact_resolutions at every publish.
create table contact_resolution_totals (
    month               date not null,
    exception_requested boolean,
    escalation_depth    integer,
    resolution_s        integer not null,
    contacts            bigint not null
);

-- ---- Rollups for the KPI tiles' customer churn, the wait-times heatmap and the what-if ----

-- Customers counted per joining day and churn day: what the whole company's customer churn (no site, team,
-- channel or touchpoint filter; customer_churn_counts below) reads instead of every customer. "Active at
-- date_from and churned by date_to" needs only the two dates, so any period's counts are sums over this
-- table, whose rows are bounded by the distinct pairs of days (about 0.9M at 20M demo customers), not by the
-- customers. Built from customers at every publish (dashboard/rollups.py), so it never disagrees with them.
create table customer_span_counts (
    joined_on   date not null,       -- customers.joined_on
    churned_on  date,                -- customers.churned_on (null while still a customer)
    customers   bigint not null      -- customers with exactly these two dates
);

-- Customers counted per day: those who joined and those who churned on it. With customer_span_counts' rows
-- of customers joined on or after a period's start, the whole company's churn counts for any period
-- (customer_churn_counts), reading at most one row per day here. Built from customers at every publish.
create table customer_day_counts (
    day         date not null,
    joined      bigint not null,         -- customers whose joined_on is this day
    churned     bigint not null          -- customers whose churned_on is this day
);

-- Per team, the customers counted per the day the team had served them and they had joined (whichever is
-- later) and churn day: one row per customer and team in customer_first_contacts (first_for_team) counted
-- by these two days. A team filter's churn (customer_churn_counts) counts the customers served before the
-- period from here (served and joined before date_from: reached_on < date_from), and only those first
-- served inside the period from customer_first_contacts, whose rows are in team and first-contact order.
-- Rows are bounded by teams x pairs of days, not by customers. Built from customer_first_contacts at every
-- publish (dashboard/rollups.py), in team order.
create table customer_team_span_counts (
    team_id     integer not null,
    reached_on  date not null,           -- greatest(first_on, joined_on) of the customer's row with the team
    churned_on  date,
    customers   bigint not null
);

-- The interval table's waiting counts summed per day x hour of day x team x channel x touchpoint: what the
-- wait-times heatmap and the staffing what-if (by weekday and hour) read through filtered_hours instead of
-- every interval. Intervals never straddle an hour, so these sums equal the intervals' for any period of
-- whole days. Built from contact_intervals at every publish (dashboard/rollups.py), also for a store of
-- interval reports, so it never disagrees with them; a count the intervals lack stays NULL. In team order,
-- so a team filter reads only its team's rows.
create table contact_hours (
    day                     date not null,
    hour                    bigint not null,     -- 0-23, hour(interval_start): the hour the contacts joined the queue in
    team_id                 integer not null,
    channel                 varchar not null,
    touchpoint_id           integer not null,
    offered                 bigint not null,
    answered                bigint,
    answered_with_wait      bigint,
    answered_wait_s         bigint,
    answered_within_20s     bigint,
    abandoned               bigint,
    abandoned_after_20s     bigint
);

-- The same summed over every team, channel and touchpoint (day x hour): what a period with no site, team,
-- channel or touchpoint filter reads, at most 24 rows a day.
create table contact_hour_totals (
    day                     date not null,
    hour                    bigint not null,
    offered                 bigint not null,
    answered                bigint,
    answered_with_wait      bigint,
    answered_wait_s         bigint,
    answered_within_20s     bigint,
    abandoned               bigint,
    abandoned_after_20s     bigint
);

-- Escalated exception requests (answered contacts whose customer asked for an exception decided above the
-- agent, escalation_depth > 0) counted per day x team x channel x touchpoint x amount asked for, with the
-- time the customers waited for the decision after the contact ended: what the escalations page's what-if
-- (how many an agent allowed to grant up to a limit would have decided at once) reads through
-- filtered_escalated_exceptions instead of every contact of the period. About a tenth of the contacts in
-- the demo; the amount is kept to the cent, so any limit gives the contacts' own counts. Built a month at a
-- time with contact_intervals at every publish of a store holding contacts (dashboard/rollups.py), so it
-- never disagrees with them; empty for a store of interval reports. In time order.
create table escalated_exception_days (
    day                 date not null,       -- the day the contacts joined the queue
    team_id             integer not null,
    channel             varchar not null,
    touchpoint_id       integer not null,
    exception_amount    decimal(10, 2),      -- money asked for (null: not recorded)
    escalations         bigint not null,     -- escalated exception requests asking exactly this amount
    -- their total time from the contact's end to the decision, microseconds (an integer: exact in any order
    -- of adding); null when no contact has both times
    waited_us           bigint
);

-- What the store holds, column by column (docs/design.md: no data is not zero). Written whenever a store is
-- published (an import or the demo build): `supplied` says an import filled the column at all (an
-- export without escalation levels leaves interactions.escalation_depth unsupplied, so the escalation
-- rate is "no data", not 0 %); `filled` counts the rows holding a value; first_day and last_day are
-- the period those rows cover. The row with column_name '*' describes the table itself (its rows and
-- its period). A measure the mapping set to one value for every row (abandoned: {constant: false} in a
-- ticket export) is an assumption, not data: it is recorded as not supplied, with a note saying so.
-- Pages read it to say "no data" and why, and to compare periods only inside the data.
create table store_coverage (
    table_name  varchar not null,
    column_name varchar not null,
    supplied    boolean not null,
    filled      bigint not null,
    first_day   date,
    last_day    date,
    note        varchar,   -- why an unsupplied column is not there, when not simply left out of the import
    primary key (table_name, column_name)
);

-- True when an import supplied this column and its table holds rows: a query can write
--   case when supplied('interactions', 'escalation_depth') then ... end
-- to give NULL (no data) instead of a zero computed from nothing.
create macro supplied(wanted_table, wanted_column) as coalesce((
    select c.supplied and t.filled > 0
    from store_coverage as c
    join store_coverage as t on t.table_name = c.table_name and t.column_name = '*'
    where c.table_name = wanted_table and c.column_name = wanted_column
), false);

-- Whether a row is in the scope of the global filters: its team's site and name, its channel and its
-- touchpoint's name against the site, team, channel and touchpoint chosen (NULL: any). The one
-- definition of the filters every filtered_ macro below applies; a macro, so it is inlined into each
-- query and a filter left NULL drops out when the query is planned.
create macro in_scope(row_site, row_team, row_channel, row_touchpoint, site, team, channel, touchpoint) as
    (site is null or row_site = site)
    and (team is null or row_team = team)
    and (channel is null or row_channel = channel)
    and (touchpoint is null or row_touchpoint = touchpoint);

-- The global filters, defined once. A chart's query reads
--   from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
-- instead of repeating the joins and conditions; a NULL filter means "all". The period is
-- inclusive of date_to. Each row carries its team's name and site and its touchpoint's name.
create macro filtered_interactions(date_from, date_to, site, team, channel, touchpoint) as table
    select i.*, t.team_name, t.site, tp.touchpoint_name
    from interactions as i
    join teams as t using (team_id)
    join touchpoints as tp using (touchpoint_id)
    where i.queued_at >= date_from
      and i.queued_at < date_to + interval 1 day
      and in_scope(t.site, t.team_name, i.channel, tp.touchpoint_name, site, team, channel, touchpoint);

-- The interval rows of the global filters, as filtered_interactions gives contacts: the same period
-- (inclusive of date_to), site, team, channel and touchpoint. Each row carries its team's name and
-- site and its touchpoint's name.
create macro filtered_intervals(date_from, date_to, site, team, channel, touchpoint) as table
    select ci.*, t.team_name, t.site, tp.touchpoint_name
    from contact_intervals as ci
    join teams as t using (team_id)
    join touchpoints as tp using (touchpoint_id)
    where ci.interval_start >= date_from
      and ci.interval_start < date_to + interval 1 day
      and in_scope(t.site, t.team_name, ci.channel, tp.touchpoint_name, site, team, channel, touchpoint);

-- The day rows of the global filters (contact_days), as filtered_intervals gives interval rows.
create macro filtered_days(date_from, date_to, site, team, channel, touchpoint) as table
    select cd.*, t.team_name, t.site, tp.touchpoint_name
    from contact_days as cd
    join teams as t using (team_id)
    join touchpoints as tp using (touchpoint_id)
    where cd.day between date_from and date_to
      and in_scope(t.site, t.team_name, cd.channel, tp.touchpoint_name, site, team, channel, touchpoint);

-- Customer churn's base, defined once: the customers active at date_from (joined before it and not churned
-- before it) and, with a site, team, channel or touchpoint filter, only those the scope served on any
-- day up to date_to (customer_first_contacts): when the scope served them does not matter, only that
-- it had by the period's end. Each customer once, with churned_on. Three branches, two of them empty:
-- the whole company's churn reads the customers alone; a team filter alone (with or without its site)
-- reads one row per customer of the team (first_for_team), which needs no de-duplication; any other
-- scope reads every row of its teams, channels and touchpoints, each customer kept once.
create macro filtered_customers(date_from, date_to, site, team, channel, touchpoint) as table
    select c.customer_id, c.churned_on
    from customers as c
    where site is null and team is null and channel is null and touchpoint is null
      and c.joined_on < date_from
      and (c.churned_on is null or c.churned_on >= date_from)
    union all
    select f.customer_id, f.churned_on
    from customer_first_contacts as f
    join teams as t using (team_id)
    where team is not null and channel is null and touchpoint is null
      and f.first_for_team
      and f.first_on <= date_to
      and f.joined_on < date_from
      and (f.churned_on is null or f.churned_on >= date_from)
      and (site is null or t.site = site)
      and t.team_name = team
    union all
    select distinct f.customer_id, f.churned_on
    from customer_first_contacts as f
    join teams as t using (team_id)
    join touchpoints as tp using (touchpoint_id)
    where not (site is null and team is null and channel is null and touchpoint is null)
      and not (team is not null and channel is null and touchpoint is null)
      and f.first_on <= date_to
      and f.joined_on < date_from
      and (f.churned_on is null or f.churned_on >= date_from)
      and in_scope(t.site, t.team_name, f.channel, tp.touchpoint_name, site, team, channel, touchpoint);

-- What a contact went through, as bits of one small integer, so a customer's contacts fold with one
-- bit_or: 1 a long wait (more than 5 minutes) or an abandon, 2 the wait is known (recorded, or
-- abandoned), 4 escalated to a manager or above, 8 a low CSAT answer (1 or 2) on the contact. The one
-- definition of customer churn's experiences (attrition_customer_churn.sql, customer_experience_firsts).
create macro experience_bits(abandoned, wait_s, escalation_depth, low_csat) as
      case when abandoned or wait_s > 300 then 1 else 0 end
    | case when abandoned or wait_s is not null then 2 else 0 end
    | case when coalesce(escalation_depth, 0) >= 2 then 4 else 0 end
    | case when low_csat then 8 else 0 end;

-- customer_experience_firsts' rows (see there) for the customers with an id above after_customer and up to
-- upto_customer (NULL: no bound), with team_id NULL: used to build it at publish, a batch of customers at a
-- time (the rows of two batches may share a key: the build sums them), and for a scope's own store. A
-- contact's previous contacts are its customer's, so a batch holds each of its customers' contacts.
-- With first_team and last_team (not NULL), customer_team_experience_firsts' rows of the teams with ids
-- from first_team to last_team: a contact's previous contacts are then its customer's with its team, so a
-- batch of teams holds each of its rows' contacts (and no other batch's keys).
create macro customer_experience_first_rows(after_customer, upto_customer, first_team, last_team) as table
    with contacts as (
        select
            i.customer_id, case when first_team is not null then i.team_id end as team_id, i.queued_at, i.interaction_id,
            i.queued_at::date as day, c.joined_on, c.churned_on,
            experience_bits(i.abandoned, i.wait_s, i.escalation_depth,
                            i.interaction_id in (select s.interaction_id from customer_surveys as s
                                                 where s.csat <= 2)) as bits
        from interactions as i
        join customers as c using (customer_id)
        join touchpoints as tp using (touchpoint_id)
        where (after_customer is null or i.customer_id > after_customer)
          and (upto_customer is null or i.customer_id <= upto_customer)
          and (first_team is null or i.team_id between first_team and last_team)
    ),
    previous as (
        select
            team_id, day, joined_on, churned_on, bits,
            max(day) over earlier                                  as last_contact,
            max(day) filter (where bits & 2 <> 0) over earlier     as last_known_wait,
            max(day) filter (where bits & 1 <> 0) over earlier     as last_long_wait,
            max(day) filter (where bits & 4 <> 0) over earlier     as last_escalated,
            max(day) filter (where bits & 8 <> 0) over earlier     as last_low_csat
        from contacts
        window earlier as (partition by customer_id, team_id order by queued_at, interaction_id
                           rows between unbounded preceding and 1 preceding)
    ),
    -- greatest() skips NULLs: a set's since is the joining day when the customer had no contact of it before
    since as (
        select
            team_id, day, churned_on,
            greatest(joined_on, last_contact) as since_contact,
            case when bits & 2 <> 0 then greatest(joined_on, last_known_wait) end as since_known_wait,
            case when bits & 1 <> 0 then greatest(joined_on, last_long_wait) end as since_long_wait,
            case when bits & 4 <> 0 then greatest(joined_on, last_escalated) end as since_escalated,
            case when bits & 8 <> 0 then greatest(joined_on, last_low_csat) end as since_low_csat,
            case when bits & 6 <> 0 then greatest(joined_on, last_known_wait, last_escalated) end
                as since_known_wait_or_escalated,
            case when bits & 10 <> 0 then greatest(joined_on, last_known_wait, last_low_csat) end
                as since_known_wait_or_low_csat,
            case when bits & 13 <> 0 then greatest(joined_on, last_long_wait, last_escalated, last_low_csat) end
                as since_any_bad,
            case when bits & 14 <> 0 then greatest(joined_on, last_known_wait, last_escalated, last_low_csat) end
                as since_known_wait_or_any_bad
        from previous
    ),
    -- a since on or after the contact's own day is never before a period holding that day: NULL, and a
    -- contact with no since left is no row
    kept as (
        select
            team_id, day, churned_on,
            case when since_contact < day then since_contact end as since_contact,
            case when since_known_wait < day then since_known_wait end as since_known_wait,
            case when since_long_wait < day then since_long_wait end as since_long_wait,
            case when since_escalated < day then since_escalated end as since_escalated,
            case when since_low_csat < day then since_low_csat end as since_low_csat,
            case when since_known_wait_or_escalated < day then since_known_wait_or_escalated end
                as since_known_wait_or_escalated,
            case when since_known_wait_or_low_csat < day then since_known_wait_or_low_csat end
                as since_known_wait_or_low_csat,
            case when since_any_bad < day then since_any_bad end as since_any_bad,
            case when since_known_wait_or_any_bad < day then since_known_wait_or_any_bad end
                as since_known_wait_or_any_bad
        from since
    )
    select *, count(*) as contacts
    from kept
    where coalesce(since_contact, since_known_wait, since_long_wait, since_escalated, since_low_csat,
                   since_known_wait_or_escalated, since_known_wait_or_low_csat, since_any_bad,
                   since_known_wait_or_any_bad) is not null
    group by all;

-- The contact_wait_days rows of the global filters, as filtered_days gives day rows.
create macro filtered_wait_days(date_from, date_to, site, team, channel, touchpoint) as table
    select w.*, t.team_name, t.site, tp.touchpoint_name
    from contact_wait_days as w
    join teams as t using (team_id)
    join touchpoints as tp using (touchpoint_id)
    where w.day between date_from and date_to
      and in_scope(t.site, t.team_name, w.channel, tp.touchpoint_name, site, team, channel, touchpoint);

-- The buckets of a time in queue (seconds), defined once: wait_bucket(wait_s) is a wait's bucket, NULL
-- when the wait is not recorded (no bucket at all); wait_buckets() lists every bucket with its label, in
-- wait order, so a chart shows every bucket even when it is empty.
create macro wait_bucket(wait_s) as
    case
        when wait_s < 10 then 1
        when wait_s < 30 then 2
        when wait_s < 60 then 3
        when wait_s < 120 then 4
        when wait_s < 300 then 5
        when wait_s < 600 then 6
        when wait_s >= 600 then 7
    end;

create macro wait_buckets() as table
    select * from (values (1, '0-10 s'), (2, '10-30 s'), (3, '30-60 s'), (4, '1-2 min'), (5, '2-5 min'),
                          (6, '5-10 min'), (7, '10 min+')) as b(bucket_order, wait_bucket);

-- contact_months' rows for the contacts queued from from_ts (inclusive) to to_ts (exclusive) of the
-- site, team, channel and touchpoint (NULL: all): the one definition of its sums, used to build it at
-- publish and for the partial months of a period. The answers are joined to the contacts (DuckDB then
-- reads only the answers within the span of the contacts' ids: ids follow time in most stores, so a few
-- days' contacts read a few days' answers, and no contacts read none).
create macro contact_month_rows(from_ts, to_ts, site, team, channel, touchpoint) as table
    with contacts as not materialized (
        select *
        from interactions as i
        where i.queued_at >= from_ts and i.queued_at < to_ts
          and (site is null and team is null or i.team_id in (
                  select t.team_id from teams as t
                  where (site is null or t.site = site) and (team is null or t.team_name = team)))
          and (channel is null or i.channel = channel)
          and (touchpoint is null or i.touchpoint_id in (
                  select tp.touchpoint_id from touchpoints as tp where tp.touchpoint_name = touchpoint))
    ),
    -- each contact's answers, counted before the join, so a contact counts once however many it has
    answers_per_contact as (
        select
            c.interaction_id,
            count(*)                                 as answers,
            count(s.csat)                            as csat_answers,
            count(*) filter (where s.csat >= 4)      as csat_satisfied,
            count(s.nps)                             as nps_answers,
            count(*) filter (where s.nps >= 9)       as promoters,
            count(*) filter (where s.nps <= 6)       as detractors
        from contacts as c
        join customer_surveys as s using (interaction_id)
        group by c.interaction_id
    )
    select
        -- qualified: channel alone would name the macro's parameter
        date_trunc('month', c.queued_at)::date as month, c.team_id, c.agent_id, c.channel, c.touchpoint_id,
        c.abandoned, c.exception_requested, c.escalation_depth,
        count(*)                                                      as contacts,
        count(c.handle_s)                                             as handled,
        sum(c.handle_s)::bigint                                       as handle_s,
        sum(c.handle_s::hugeint * c.handle_s)                         as handle_s_squared,
        count(c.resolved)                                             as resolution_known,
        count(*) filter (where c.resolved)                            as resolved,
        count(*) filter (where c.resolved and not c.repeat_within_7d) as first_contact_resolved,
        count(a.interaction_id)                                       as surveyed,
        coalesce(sum(a.answers), 0)::bigint                           as survey_answers,
        coalesce(sum(a.csat_answers), 0)::bigint                      as csat_answers,
        coalesce(sum(a.csat_satisfied), 0)::bigint                    as csat_satisfied,
        coalesce(sum(a.nps_answers), 0)::bigint                       as nps_answers,
        coalesce(sum(a.promoters), 0)::bigint                         as promoters,
        coalesce(sum(a.detractors), 0)::bigint                        as detractors
    from contacts as c
    left join answers_per_contact as a using (interaction_id)
    group by all;

-- Where the whole months of a period begin and end, for filtered_contact_months: a month counts as
-- whole when the period holds all its contacts, so the months of the store's first and last contact
-- count from the period's start or up to its end (a period ending on the last day of data takes the
-- last, partial month from the rollup). The span is that of store_coverage, written at every publish.
create macro rollup_months_from(date_from) as
    case when date_from <= (select first_day from store_coverage
                            where table_name = 'interactions' and column_name = '*')
              or date_trunc('month', date_from) = date_from
         then date_trunc('month', date_from)
         else date_trunc('month', date_from) + interval 1 month end;

create macro rollup_months_to(date_to) as
    case when date_to >= (select last_day from store_coverage
                          where table_name = 'interactions' and column_name = '*')
         then date_trunc('month', date_to) + interval 1 month
         else date_trunc('month', date_to + interval 1 day) end;

-- contact_months rows of the global filters, as filtered_interactions gives contacts: the whole
-- months of the period from the rollup, the contacts of its partial first and last months summed
-- from the contacts themselves (contact_month_rows), so the sums equal those of
-- filtered_interactions for any period. Each row carries its team's name and site and its
-- touchpoint's name.
create macro filtered_contact_months(date_from, date_to, site, team, channel, touchpoint) as table
    select m.*, t.team_name, t.site, tp.touchpoint_name
    from (
        select * from contact_months
        where month >= rollup_months_from(date_from) and month < rollup_months_to(date_to)
        union all
        select * from contact_month_rows(
            date_from, least(greatest(rollup_months_from(date_from), date_from), date_to + interval 1 day),
            site, team, channel, touchpoint)
        union all
        select * from contact_month_rows(
            greatest(rollup_months_to(date_to), rollup_months_from(date_from), date_from), date_to + interval 1 day,
            site, team, channel, touchpoint)
    ) as m
    join teams as t using (team_id)
    join touchpoints as tp using (touchpoint_id)
    where in_scope(t.site, t.team_name, m.channel, tp.touchpoint_name, site, team, channel, touchpoint);

-- Team grain (issue 13): contact_months summed over its agents, for the page queries that never look at
-- an agent (escalation levels, training, the mirror's team-months): about a fifteenth of its rows, and a
-- period's partial first and last months read from contact_team_days, never from the contacts, so a
-- query plans no contact scan at all. Both built at every publish of a store holding contacts
-- (dashboard/rollups.py), beside contact_months, so they never disagree with it or with the contacts;
-- empty for a store of interval reports. Queries read them through filtered_team_months.
create table contact_team_months (
    month                   date not null,       -- first day of the month the contacts joined the queue in
    team_id                 integer not null,
    channel                 varchar not null,
    touchpoint_id           integer not null,
    abandoned               boolean not null,
    exception_requested     boolean,
    escalation_depth        integer,
    contacts                bigint not null,
    handled                 bigint not null,     -- the columns below as contact_months' (summed over agents)
    handle_s                bigint,
    handle_s_squared        hugeint,
    resolution_known        bigint not null,
    resolved                bigint not null,
    first_contact_resolved  bigint not null,
    surveyed                bigint not null,
    survey_answers          bigint not null,
    csat_answers            bigint not null,
    csat_satisfied          bigint not null,
    nps_answers             bigint not null,
    promoters               bigint not null,
    detractors              bigint not null
);

-- The same sums per day (the day the contacts joined the queue) instead of per month: what a period's
-- partial first and last months read (at most two months of days, whatever the number of contacts).
-- Summed per month, its rows equal contact_team_months'.
create table contact_team_days (
    day                     date not null,
    team_id                 integer not null,
    channel                 varchar not null,
    touchpoint_id           integer not null,
    abandoned               boolean not null,
    exception_requested     boolean,
    escalation_depth        integer,
    contacts                bigint not null,
    handled                 bigint not null,
    handle_s                bigint,
    handle_s_squared        hugeint,
    resolution_known        bigint not null,
    resolved                bigint not null,
    first_contact_resolved  bigint not null,
    surveyed                bigint not null,
    survey_answers          bigint not null,
    csat_answers            bigint not null,
    csat_satisfied          bigint not null,
    nps_answers             bigint not null,
    promoters               bigint not null,
    detractors              bigint not null
);

-- The calendar months wholly inside a period (date_from to date_to, inclusive): from the first month
-- starting on or after date_from, up to (exclusive) the month date_to + 1 day falls in. None when the
-- period lies within one month, or starts after the first day of a month and ends before its last.
create macro whole_months_from(date_from) as
    case when date_trunc('month', date_from) = date_from then date_trunc('month', date_from)
         else date_trunc('month', date_from) + interval 1 month end;

create macro whole_months_to(date_to) as date_trunc('month', date_to + interval 1 day);

-- contact_team_months rows of the global filters, as filtered_contact_months gives contact_months rows
-- (the same columns but agent_id): the period's whole months from contact_team_months, its partial first
-- and last months summed per month from contact_team_days, so the sums equal those of the contacts for
-- any period. A plain union of two table scans: cheap to plan, which on a page of ten queries matters as
-- much as the scan.
create macro filtered_team_months(date_from, date_to, site, team, channel, touchpoint) as table
    select m.*, t.team_name, t.site, tp.touchpoint_name
    from (
        select * from contact_team_months
        where month >= whole_months_from(date_from) and month < whole_months_to(date_to)
        union all
        -- each partial month a range of days of its own, so a period of whole months reads no day at all
        select date_trunc('month', d.day)::date as month, d.* exclude (day)
        from contact_team_days as d
        where d.day >= date_from and d.day < least(whole_months_from(date_from), date_to + interval 1 day)
        union all
        select date_trunc('month', d.day)::date as month, d.* exclude (day)
        from contact_team_days as d
        where d.day >= greatest(whole_months_to(date_to), whole_months_from(date_from), date_from)
          and d.day <= date_to
    ) as m
    join teams as t using (team_id)
    join touchpoints as tp using (touchpoint_id)
    where in_scope(t.site, t.team_name, m.channel, tp.touchpoint_name, site, team, channel, touchpoint);

-- contact_team_days rows of the global filters, as filtered_days gives contact_days rows: for a figure that
-- needs days of a month (escalations_rate_by_authority: a limit changed mid-month).
create macro filtered_team_days(date_from, date_to, site, team, channel, touchpoint) as table
    select d.*, t.team_name, t.site, tp.touchpoint_name
    from contact_team_days as d
    join teams as t using (team_id)
    join touchpoints as tp using (touchpoint_id)
    where d.day between date_from and date_to
      and in_scope(t.site, t.team_name, d.channel, tp.touchpoint_name, site, team, channel, touchpoint);

-- contact_resolutions' rows for the contacts queued from from_ts (inclusive) to to_ts (exclusive) of
-- the site, team, channel and touchpoint (NULL: all): the one definition of its counts, used to build
-- it at publish and for the partial months of a period.
create macro resolution_count_rows(from_ts, to_ts, site, team, channel, touchpoint) as table
    select
        -- qualified: channel alone would name the macro's parameter
        date_trunc('month', i.queued_at)::date as month, i.team_id, i.channel, i.touchpoint_id,
        i.exception_requested, i.escalation_depth, i.resolution_s,
        count(*) as contacts
    from interactions as i
    where i.queued_at >= from_ts and i.queued_at < to_ts
      and not i.abandoned and i.resolved and i.resolution_s is not null
      and (site is null and team is null or i.team_id in (
              select t.team_id from teams as t
              where (site is null or t.site = site) and (team is null or t.team_name = team)))
      and (channel is null or i.channel = channel)
      and (touchpoint is null or i.touchpoint_id in (
              select tp.touchpoint_id from touchpoints as tp where tp.touchpoint_name = touchpoint))
    group by all;

-- Resolved contacts counted per exception request, escalation level and time to resolution for the
-- global filters, as filtered_interactions gives contacts (answered, resolved, with a recorded
-- resolution time): whole months of the period from contact_resolution_totals when no site, team,
-- channel or touchpoint is chosen, else from contact_resolutions; its partial first and last months
-- counted from the contacts themselves (resolution_count_rows), so the counts equal those of the
-- contacts for any period. A time may come in several rows (one per month or cell): sum them.
create macro filtered_resolutions(date_from, date_to, site, team, channel, touchpoint) as table
    select r.exception_requested, r.escalation_depth, r.resolution_s, r.contacts
    from contact_resolution_totals as r
    where site is null and team is null and channel is null and touchpoint is null
      and r.month >= rollup_months_from(date_from) and r.month < rollup_months_to(date_to)
    union all
    -- joined, not filtered by a subquery: the chosen teams' ids then skip the other teams' rows
    select r.exception_requested, r.escalation_depth, r.resolution_s, r.contacts
    from contact_resolutions as r
    join teams as t using (team_id)
    join touchpoints as tp using (touchpoint_id)
    where not (site is null and team is null and channel is null and touchpoint is null)
      and r.month >= rollup_months_from(date_from) and r.month < rollup_months_to(date_to)
      and in_scope(t.site, t.team_name, r.channel, tp.touchpoint_name, site, team, channel, touchpoint)
    union all
    select exception_requested, escalation_depth, resolution_s, contacts
    from resolution_count_rows(
        date_from, least(greatest(rollup_months_from(date_from), date_from), date_to + interval 1 day),
        site, team, channel, touchpoint)
    union all
    select exception_requested, escalation_depth, resolution_s, contacts
    from resolution_count_rows(
        greatest(rollup_months_to(date_to), rollup_months_from(date_from), date_from), date_to + interval 1 day,
        site, team, channel, touchpoint);

-- Agents of the filtered site and team (by their current team). Channel and touchpoint do not
-- apply to agents.
create macro filtered_agents(site, team) as table
    select a.*, t.team_name, t.site, t.manager_name
    from agents as a
    join teams as t using (team_id)
    where (site is null or t.site = site)
      and (team is null or t.team_name = team);

-- Wilson score interval (95 %) of a share k / n: ranks small counts honestly, so 1 of 1 does not
-- beat 95 of 100. Returns a fraction (0-1); NULL when n = 0.
create macro wilson_lower(k, n) as
    case when n > 0 then
        ((k / n) + 1.96 * 1.96 / (2 * n) - 1.96 * sqrt((k / n) * (1 - k / n) / n + 1.96 * 1.96 / (4 * n * n)))
        / (1 + 1.96 * 1.96 / n)
    end;

create macro wilson_upper(k, n) as
    case when n > 0 then
        ((k / n) + 1.96 * 1.96 / (2 * n) + 1.96 * sqrt((k / n) * (1 - k / n) / n + 1.96 * 1.96 / (4 * n * n)))
        / (1 + 1.96 * 1.96 / n)
    end;

-- Agent attrition's building block (docs/design.md section 4): for every calendar month the period
-- touches and every team of the filtered agents, the leavers in the month and the average
-- headcount (headcount on its first and last day, halved). A site's or the centre's monthly rate
-- is sum(leavers) / sum(average_headcount) over its teams; annualised is the mean monthly rate x 12.
create macro team_month_attrition(date_from, date_to, site, team) as table
    with months as (
        select m::date as month, (m + interval 1 month - interval 1 day)::date as last_day
        from generate_series(date_trunc('month', date_from::date), date_trunc('month', date_to::date),
                             interval 1 month) as g(m)
    )
    select
        m.month,
        m.last_day,
        a.team_id,
        a.team_name,
        a.site,
        count(*) filter (where a.left_on between m.month and m.last_day) as leavers,
        (count(*) filter (where a.hired_on <= m.month and (a.left_on is null or a.left_on > m.month))
         + count(*) filter (where a.hired_on <= m.last_day and (a.left_on is null or a.left_on > m.last_day))
        ) / 2.0 as average_headcount
    from months as m
    cross join filtered_agents(site, team) as a
    group by m.month, m.last_day, a.team_id, a.team_name, a.site;

-- ---- Macros over the churn-count, hour and what-if rollups ----

-- Customer churn's two counts, one row: the customers active at date_from (joined before it and not churned
-- before it; with a scope filter, those the scope served by date_to: filtered_customers) and, of them, those
-- churned by date_to. With no site, team, channel or touchpoint filter they are summed from
-- customer_day_counts and customer_span_counts; with a team filter alone (with or without its site), the customers the team served
-- before the period are summed from customer_team_span_counts and those it first served inside the period
-- counted from customer_first_contacts (first_for_team: each customer once); with any other scope, counted
-- from filtered_customers. Four branches, all but one or two of them empty.
create macro customer_churn_counts(date_from, date_to, site, team, channel, touchpoint) as table
    -- the whole company's, from the customers joining and churning per day: active at date_from = joined before
    -- it - churned before it + those churned before it who joined on or after it (a churn date before the
    -- joining date); churned by date_to = churned in the period - those of them who joined on or after
    -- date_from. Only customer_span_counts' rows joined on or after date_from are read (it is in joining order).
    with recent_pairs as (
        select s.churned_on, s.customers
        from customer_span_counts as s
        where site is null and team is null and channel is null and touchpoint is null
          and s.joined_on >= date_from and s.churned_on <= date_to
    ),
    company as (
        select
            ((select coalesce(sum(d.joined) - sum(d.churned), 0) from customer_day_counts as d where d.day < date_from)
             + (select coalesce(sum(p.customers), 0) from recent_pairs as p where p.churned_on < date_from)
            )::bigint as active_at_start,
            ((select coalesce(sum(d.churned), 0) from customer_day_counts as d
              where d.day between date_from and date_to)
             - (select coalesce(sum(p.customers), 0) from recent_pairs as p where p.churned_on >= date_from)
            )::bigint as churned
    )
    select active_at_start, churned
    from company
    where site is null and team is null and channel is null and touchpoint is null
    union all
    select coalesce(sum(b.customers), 0)::bigint                                       as active_at_start,
           coalesce(sum(b.customers) filter (where b.churned_on <= date_to), 0)::bigint as churned
    from (
        select s.churned_on, s.customers
        from customer_team_span_counts as s
        join teams as t using (team_id)
        where team is not null and channel is null and touchpoint is null
          and s.reached_on < date_from
          and (s.churned_on is null or s.churned_on >= date_from)
          and (site is null or t.site = site)
          and t.team_name = team
        union all
        select f.churned_on, 1 as customers
        from customer_first_contacts as f
        join teams as t using (team_id)
        where team is not null and channel is null and touchpoint is null
          and f.first_for_team
          and f.first_on between date_from and date_to
          and f.joined_on < date_from
          and (f.churned_on is null or f.churned_on >= date_from)
          and (site is null or t.site = site)
          and t.team_name = team
        union all
        select f.churned_on, 1 as customers
        from filtered_customers(date_from, date_to, site, team, channel, touchpoint) as f
        where not (site is null and team is null and channel is null and touchpoint is null)
          and not (team is not null and channel is null and touchpoint is null)
    ) as b
    -- one row, and only with a scope filter (an aggregate without groups gives a row even of no rows)
    having not (site is null and team is null and channel is null and touchpoint is null);

-- contact_hours' rows of the global filters (the same period, site, team, channel and touchpoint as
-- filtered_intervals): from contact_hour_totals with no site, team, channel or touchpoint filter, else from
-- contact_hours joined to the teams and touchpoints. Two branches, one of them empty. A day and hour may
-- come in several rows (one per cell): sum them.
create macro filtered_hours(date_from, date_to, site, team, channel, touchpoint) as table
    select h.day, h.hour, h.offered, h.answered, h.answered_with_wait, h.answered_wait_s, h.answered_within_20s,
           h.abandoned, h.abandoned_after_20s
    from contact_hour_totals as h
    where site is null and team is null and channel is null and touchpoint is null
      and h.day between date_from and date_to
    union all
    select h.day, h.hour, h.offered, h.answered, h.answered_with_wait, h.answered_wait_s, h.answered_within_20s,
           h.abandoned, h.abandoned_after_20s
    from contact_hours as h
    join teams as t using (team_id)
    join touchpoints as tp using (touchpoint_id)
    where not (site is null and team is null and channel is null and touchpoint is null)
      and h.day between date_from and date_to
      and in_scope(t.site, t.team_name, h.channel, tp.touchpoint_name, site, team, channel, touchpoint);

-- escalated_exception_days' rows of the global filters, as filtered_interactions gives contacts: with no
-- site, team, channel or touchpoint filter straight from the table (joining every row to its team and
-- touchpoint costs as much as summing it), else joined to the teams and touchpoints. Two branches, one of
-- them empty.
create macro filtered_escalated_exceptions(date_from, date_to, site, team, channel, touchpoint) as table
    select e.exception_amount, e.escalations, e.waited_us
    from escalated_exception_days as e
    where site is null and team is null and channel is null and touchpoint is null
      and e.day between date_from and date_to
    union all
    select e.exception_amount, e.escalations, e.waited_us
    from escalated_exception_days as e
    join teams as t using (team_id)
    join touchpoints as tp using (touchpoint_id)
    where not (site is null and team is null and channel is null and touchpoint is null)
      and e.day between date_from and date_to
      and in_scope(t.site, t.team_name, e.channel, tp.touchpoint_name, site, team, channel, touchpoint);
