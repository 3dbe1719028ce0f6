-- The SQL lab's view of agent surveys (dashboard/scopes.py, purpose "lab"). Agents answer surveys on
-- the promise that nobody sees their own answers, and an analyst's SQL can single anyone out; so the
-- lab's store has no agent_surveys table and no agents.leave_reason. Instead it holds one row per
-- team, month and milestone whose answers came from at least DASHBOARD_MIN_RESPONDENTS (default 5)
-- distinct agents; smaller groups are left out altogether. An agent counts in their current team.
create table agent_survey_groups (
    team_name              varchar not null,
    site                   varchar not null,
    month                  date not null,      -- first day of the month the answers were given
    milestone              varchar not null,   -- '3m', '6m', '12m', '24m' after hire, or 'pulse'
    respondents            bigint not null,    -- distinct agents who answered
    mean_satisfaction      double,             -- 1-5
    enps                   double,             -- % answering 9-10 minus % answering 0-6 (of eNPS answers)
    mean_empowerment       double,             -- 1-5
    mean_manager_support   double,             -- 1-5
    mean_training_adequacy double,             -- 1-5
    mean_pressure          double              -- 1-5, higher is more pressure
);
