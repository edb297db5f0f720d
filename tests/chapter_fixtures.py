"""Small surveys built in code for the tabulation, comparison and chapter tests.

Two waves of a made-up questionnaire with exactly the features the chapter code must handle:
a segment defined by a multiple-answer question, routing, an ordinal scale with a "don't know"
outside the base, a multiple-answer question, and a comparison wave whose scale is finer (folded
through a crosswalk) and whose multi question lacks a choice the report wave added.
"""

from __future__ import annotations

import pandas as pd

from hakusho.analysis.spec import Spec
from hakusho.survey.codebook import Codebook
from hakusho.survey.crosswalk import Crosswalk
from hakusho.survey.wave import Survey

SURVEY_INFO = {
    "title": {"ja": "テスト調査", "en": "Test survey"},
    "publisher": {"ja": "テスト", "en": "Test"},
    "method": {"ja": "ウェブ", "en": "Web"},
    "target": {"ja": "誰でも", "en": "Anyone"},
    "period_start": "2024-12-01",
    "period_end": "2024-12-31",
}

INDUSTRY = {"id": "industry", "column": "Q3", "type": "multi", "text": {"ja": "業種", "en": "Industry"},
            "choices": [{"code": 1, "key": "saas", "ja": "SaaS", "en": "SaaS"},
                        {"code": 2, "key": "it_other", "ja": "その他IT", "en": "Other IT"},
                        {"code": 3, "key": "other", "ja": "その他", "en": "Other"}]}
CS_STATUS = {"id": "cs_status", "column": "Q9", "type": "single", "text": {"ja": "取り組み", "en": "Status"},
             "choices": [{"code": 1, "key": "doing", "ja": "取り組んでいる", "en": "Doing"},
                         {"code": 2, "key": "planning", "ja": "これから", "en": "Planning"},
                         {"code": 3, "key": "not_doing", "ja": "していない", "en": "Not doing"},
                         {"code": 4, "key": "unknown", "ja": "わからない", "en": "Unknown"}]}
EMPLOYEES = {"id": "employees", "column": "Q1", "type": "ordinal", "text": {"ja": "従業員数", "en": "Employees"},
             "choices": [{"code": 1, "key": "small", "ja": "1〜99名", "en": "1–99", "lower": 1, "upper": 100},
                         {"code": 2, "key": "mid", "ja": "100〜999名", "en": "100–999", "lower": 100, "upper": 1000},
                         {"code": 3, "key": "large", "ja": "1,000名以上", "en": "1,000+", "lower": 1000}]}
DOING = [["cs_status", "==", "doing"]]
NOT_DOING = [["cs_status", "==", "not_doing"]]
EFFECT = {"id": "effect", "column": "Q25", "type": "ordinal", "asked": DOING,
          "text": {"ja": "効果", "en": "Effect"},
          "choices": [{"code": i, "key": k, "ja": k, "en": k}
                      for i, k in enumerate(["none", "little", "neutral", "some", "strong"], start=1)]}
NRR_2025 = {"id": "nrr", "column": "Q30", "type": "ordinal", "asked": DOING, "text": {"ja": "NRR", "en": "NRR"},
            "choices": [{"code": 1, "key": "low", "ja": "90%未満", "en": "<90%", "lower": 0, "upper": 90},
                        {"code": 2, "key": "mid", "ja": "90〜110%", "en": "90–110%", "lower": 90, "upper": 110},
                        {"code": 3, "key": "high", "ja": "110%以上", "en": "110%+", "lower": 110},
                        {"code": 99, "key": "dont_know", "ja": "わからない", "en": "Don't know", "in_base": False}]}
TOOLS = {"id": "tools", "column": "Q40", "type": "multi", "asked": DOING, "text": {"ja": "ツール", "en": "Tools"},
         "choices": [{"code": 1, "key": "crm", "ja": "CRM", "en": "CRM"},
                     {"code": 2, "key": "sheet", "ja": "表計算", "en": "Spreadsheet"},
                     {"code": 3, "key": "ai", "ja": "AI", "en": "AI"}]}
REASONS = {"id": "reasons_not", "column": "Q13", "type": "multi", "asked": NOT_DOING,
           "text": {"ja": "理由", "en": "Reasons"},
           "choices": [{"code": 1, "key": "no_need", "ja": "不要", "en": "No need"},
                       {"code": 2, "key": "no_people", "ja": "人がいない", "en": "No people"}]}

NRR_2023 = {"id": "nrr", "column": "N1", "type": "ordinal", "asked": DOING, "text": {"ja": "NRR", "en": "NRR"},
            "choices": [{"code": 1, "key": "very_low", "ja": "80%未満", "en": "<80%", "lower": 0, "upper": 80},
                        {"code": 2, "key": "low", "ja": "80〜90%", "en": "80–90%", "lower": 80, "upper": 90},
                        {"code": 3, "key": "mid", "ja": "90〜110%", "en": "90–110%", "lower": 90, "upper": 110},
                        {"code": 4, "key": "high", "ja": "110%以上", "en": "110%+", "lower": 110}]}
TOOLS_2023 = {"id": "tools", "column": "T1", "type": "multi", "asked": DOING, "text": {"ja": "ツール", "en": "Tools"},
              "choices": [{"code": 1, "key": "crm", "ja": "CRM", "en": "CRM"},
                          {"code": 2, "key": "excel", "ja": "エクセル", "en": "Excel"}]}
CHURN_2023 = {"id": "churn", "column": "C1", "type": "ordinal", "asked": DOING, "text": {"ja": "解約率", "en": "Churn"},
              "choices": [{"code": 1, "key": "c_low", "ja": "1%未満", "en": "<1%"},
                          {"code": 2, "key": "c_high", "ja": "1%以上", "en": "1%+"}]}


def codebook_2025() -> Codebook:
    return Codebook.model_validate({"wave": "2025", "survey": SURVEY_INFO, "id_column": "ID",
                                    "questions": [INDUSTRY, CS_STATUS, EMPLOYEES, EFFECT, NRR_2025, TOOLS, REASONS]})


def codebook_2023() -> Codebook:
    industry = {**INDUSTRY, "column": "I"}
    status = {**CS_STATUS, "column": "S"}
    employees = {**EMPLOYEES, "column": "E"}
    return Codebook.model_validate({"wave": "2023", "survey": SURVEY_INFO, "id_column": "ID",
                                    "questions": [industry, status, employees, NRR_2023, TOOLS_2023, CHURN_2023]})


def crosswalk() -> Crosswalk:
    return Crosswalk.model_validate({
        "from_wave": "2023", "to_wave": "2025",
        "variables": [
            {"from": "nrr", "to": "nrr", "choices": {"very_low": "low", "low": "low", "mid": "mid", "high": "high"}},
            {"from": "tools", "to": "tools", "choices": {"crm": "crm", "excel": "sheet"},
             "note": {"ja": "エクセルは表計算に対応", "en": "Excel maps to spreadsheets"}},
        ]})


# One block of identical respondents: (how many, answers). Multi answers list the ticked keys.
Block = tuple[int, dict[str, object]]


def _responses(codebook: Codebook, blocks: list[Block]) -> pd.DataFrame:
    rows = []
    for count, answers in blocks:
        for _ in range(count):
            rows.append(answers)
    index = pd.Index([f"r{i:04d}" for i in range(len(rows))], name="respondent_id")
    data: dict[str, pd.Series] = {}
    for q in codebook.questions:
        if q.type == "multi":
            for c in q.choices:
                values = [None if r.get(q.id) is None else c.key in r[q.id] for r in rows]
                data[f"{q.id}__{c.key}"] = pd.Series(values, index=index, dtype="boolean")
        else:
            codes = [None if r.get(q.id) is None else q.choice(r[q.id]).code for r in rows]
            data[q.id] = pd.Series(codes, index=index, dtype="Int64")
    return pd.DataFrame(data, index=index)


def blocks_2025() -> list[Block]:
    """100 SaaS respondents (60 doing, 20 planning, 4 not doing, 16 unknown) and 50 others."""
    saas, other = ["saas"], ["other"]
    return [
        (20, {"industry": saas, "cs_status": "doing", "employees": "large", "effect": "strong", "nrr": "mid",
              "tools": ["crm", "sheet"]}),
        (25, {"industry": saas, "cs_status": "doing", "employees": "mid", "effect": "some", "nrr": "high",
              "tools": ["crm"]}),
        (10, {"industry": saas, "cs_status": "doing", "employees": "small", "effect": "neutral", "nrr": "low",
              "tools": ["ai"]}),
        (5, {"industry": saas, "cs_status": "doing", "employees": "small", "effect": "none", "nrr": "dont_know",
             "tools": []}),
        (20, {"industry": saas, "cs_status": "planning", "employees": "large"}),
        (2, {"industry": saas, "cs_status": "not_doing", "employees": "small", "reasons_not": ["no_need"]}),
        (2, {"industry": saas, "cs_status": "not_doing", "employees": "mid", "reasons_not": ["no_need", "no_people"]}),
        (16, {"industry": saas, "cs_status": "unknown", "employees": "mid"}),
        (30, {"industry": other, "cs_status": "doing", "employees": "large", "effect": "some", "nrr": "mid",
              "tools": ["sheet"]}),
        (20, {"industry": ["it_other"], "cs_status": "not_doing", "employees": "mid", "reasons_not": ["no_people"]}),
    ]


def blocks_2023() -> list[Block]:
    """80 SaaS respondents (70 doing) and 20 others."""
    saas = ["saas"]
    return [
        (30, {"industry": saas, "cs_status": "doing", "employees": "large", "nrr": "very_low", "tools": ["crm"],
              "churn": "c_low"}),
        (20, {"industry": saas, "cs_status": "doing", "employees": "mid", "nrr": "mid", "tools": ["excel"],
              "churn": "c_high"}),
        (20, {"industry": saas, "cs_status": "doing", "employees": "small", "nrr": "high", "tools": ["crm", "excel"],
              "churn": "c_low"}),
        (10, {"industry": saas, "cs_status": "planning", "employees": "small"}),
        (20, {"industry": ["other"], "cs_status": "doing", "employees": "large", "nrr": "mid", "tools": ["crm"],
              "churn": "c_low"}),
    ]


def survey_2025(blocks: list[Block] | None = None) -> Survey:
    book = codebook_2025()
    return Survey(wave="2025", codebook=book, responses=_responses(book, blocks or blocks_2025()))


def survey_2023(blocks: list[Block] | None = None) -> Survey:
    book = codebook_2023()
    return Survey(wave="2023", codebook=book, responses=_responses(book, blocks or blocks_2023()))


POPULATIONS = {
    "all": {"ja": "全回答者", "en": "All respondents", "segment": False, "where": []},
    "saas": {"ja": "SaaS", "en": "SaaS", "segment": False, "where": [["industry", "includes", "saas"]]},
    "non_saas": {"ja": "非SaaS", "en": "Non-SaaS", "segment": False, "where": [["industry", "excludes", "saas"]]},
    "saas_doing": {"ja": "取り組み中", "en": "Practising", "segment": True, "where": DOING},
    "saas_planning": {"ja": "これから", "en": "About to start", "segment": True,
                      "where": [["cs_status", "==", "planning"]]},
    "saas_not": {"ja": "取り組みなし", "en": "Not practising", "segment": True, "where": NOT_DOING},
}


def _chart(chart_id: str, answer: str, base: str, **extra: object) -> dict[str, object]:
    return {"id": chart_id, "title_ja": f"{chart_id}（ja）", "title_en": f"{chart_id} (en)", "answer": answer,
            "base": base, **extra}


def spec() -> Spec:
    """One chapter using every kind of chart the real spec has."""
    return Spec.model_validate({
        "segments": {
            "saas": {"ja": "SaaS", "en": "SaaS", "where": [["industry", "includes", "saas"]], "published": True},
            "non_saas": {"ja": "非SaaS", "en": "Non-SaaS", "where": [["industry", "excludes", "saas"]],
                         "published": True},
            "all": {"ja": "全体", "en": "All", "where": [], "published": True},
        },
        "populations": POPULATIONS,
        "chapters": [{"id": "t1", "title": {"ja": "テスト章", "en": "Test chapter"}, "slides": [
            {"id": "t1-status", "charts": [_chart("cs_status", "single", "saas")]},
            {"id": "t1-size", "charts": [_chart("employees", "ordinal", "all", compare="by_segment")]},
            {"id": "t1-effect", "charts": [_chart("effect", "ordinal", "saas_doing",
                                                  groups=[{"id": "effective", "keys": ["some", "strong"]}])]},
            {"id": "t1-nrr", "charts": [_chart("nrr", "ordinal", "saas_doing", compare="yoy")]},
            {"id": "t1-tools", "charts": [_chart("tools", "multi", "saas_doing", compare="yoy")]},
            {"id": "t1-not", "charts": [_chart("reasons_not", "multi", "saas_not")]},
            {"id": "t1-series", "charts": [_chart("employees_series", "ordinal", "saas", question="employees",
                                                  series=["saas_doing", "saas_planning"])]},
            {"id": "t1-ref", "charts": [_chart("churn_2023", "ordinal", "saas_doing", question="churn",
                                               wave="compare", compare="ref_2023")]},
        ]}],
    })
