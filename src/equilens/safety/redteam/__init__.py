"""Red-team suites: requests in personas' voices, graded answers, rates and paired tests.

::

    from equilens.safety.redteam import load_suite, run_redteam

    suite, path = load_suite("financial")
    run = run_redteam(suite, path, model=adapter, grader="rules")
    run.log            # an AuditLog: rates per persona and category, McNemar tests
"""

from equilens.safety.redteam._agreement import Agreement, judge_agreement, load_judge_sample
from equilens.safety.redteam._graders import (
    OUTCOMES,
    ClassifierGrader,
    Grader,
    Grades,
    JudgeGrader,
    Outcome,
    RulesGrader,
    parse_judge_answer,
)
from equilens.safety.redteam._run import RedteamRun, read_answers, run_redteam
from equilens.safety.redteam._stats import (
    BENIGN_SLICE,
    metric_name,
    paired_difference,
    redteam_log,
)
from equilens.safety.redteam._suite import (
    SHIPPED_SUITES,
    Case,
    Category,
    PersonaList,
    Request,
    Suite,
    expand_cases,
    load_personas,
    load_suite,
    suite_from_text,
    suite_json_schema,
)

__all__ = [
    "BENIGN_SLICE",
    "OUTCOMES",
    "SHIPPED_SUITES",
    "Agreement",
    "Case",
    "Category",
    "ClassifierGrader",
    "Grader",
    "Grades",
    "JudgeGrader",
    "Outcome",
    "PersonaList",
    "RedteamRun",
    "Request",
    "RulesGrader",
    "Suite",
    "expand_cases",
    "judge_agreement",
    "load_judge_sample",
    "load_personas",
    "load_suite",
    "metric_name",
    "paired_difference",
    "parse_judge_answer",
    "read_answers",
    "redteam_log",
    "run_redteam",
    "suite_from_text",
    "suite_json_schema",
]
