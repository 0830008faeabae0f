"""The words of the printed reports, in Latvian (the default) and English."""

from __future__ import annotations

from typing import Any

from shared.words import CHANNELS, COOPERATION_ANSWERS, DOMAINS, REFERRAL_STATES, in_language, latvian_count

LANGUAGES = ("lv", "en")

# The words of referrals on the report pages (Latvian, English); their states are shared with the
# institutions' messages (shared/words.py).
_REFERRAL_WORDS: dict[str, tuple[Any, Any]] = {
    "referrals": ("Nosūtījumi uz iestādēm", "Referrals to institutions"),
    "referral_steps": ({"accepted": "iestāde pieņēmusi", "completed": "iestāde atzīmējusi kā izpildītus",
                        "declined": "iestāde noraidījusi"},
                       {"accepted": "accepted by the institution", "completed": "marked completed by the institution",
                        "declined": "declined by the institution"}),
    "referral_states": (in_language(REFERRAL_STATES, "lv"), in_language(REFERRAL_STATES, "en")),
    "referrals_title": ("Nosūtījumi uz iestādēm", "Referrals to institutions"),
    "referrals_as_of": ("Mediatora nosūtījumi šajā mēnesī un iestāžu atbildes līdz notikumam Nr. {as_of}.",
                        "The mediator's referrals this month and the institutions' answers up to event sequence "
                        "{as_of}."),
    "referrals_columns": (("Laiks", "Iestāde", "Pakalpojums", "Stāvoklis"), ("Time", "Institution", "Service", "Status")),
    "referral_recorded_later": ("reģistrēts pēc iesniegšanas", "recorded after submission"),
}

_LV: dict[str, Any] = {
    "title_summary": "Romu mediatoru darba pārskats",
    "title_monthly": "Romu mediatora mēneša pārskats",
    "period": "Periods", "municipality": "Pašvaldība", "municipalities": "Pašvaldības",
    "all_municipalities": "visas pašvaldības",
    "mediator": "Romu mediators", "as_of": "Dati līdz notikumam Nr.", "status": "Statuss",
    "submitted_at": "Iesniegts", "reviewed_at": "Izskatīts", "review_note": "Koordinatora piezīme",
    "figures_as_of": "Skaitļi līdz notikumam Nr.",
    "mediators_active": "Aktīvie romu mediatori", "families_supported": "Atbalstītās romu ģimenes",
    "families_regular": "regulāri (vismaz 3 dažādās dienās)", "families_episodic": "epizodiski",
    "persons_helped": "Atbalstītās personas", "activities": "Aktivitātes",
    "participants": "dalībnieki kopā (visās aktivitātēs)",
    "cooperations": "Sadarbība ar iestādēm", "acknowledged": "iestāde apstiprinājusi",
    "disputed": "iestāde apstrīdējusi",
    **in_language(_REFERRAL_WORDS, "lv"),
    "outcomes": "Rezultāti", "by_kind": "pēc veida", "by_domain": "pēc jomas", "by_institution": "pēc iestādes",
    "chart_institutions": "Sadarbība ar iestādēm pēc iestādes (tumšākā daļa: iestāde apstiprinājusi)",
    "total": "Kopā", "figure": "Rādītājs", "none": "nav", "narrative": "Mediatora stāstījums",
    "narrative_missing": "Pārskats vēl nav iesniegts.",
    "amended": "Pēc iesniegšanas reģistrēti vēl notikumi par šo mēnesi. Aktuālie skaitļi:",
    "acknowledged_since": lambda n: f"Pēc iesniegšanas iestādes apstiprināja vēl "
                                    f"{latvian_count(n, 'sadarbību', 'sadarbības')}.",
    "limited_to": "Skaitļi tikai par darbu jūsu pašvaldībās:",
    "ledger_title": "Sadarbība ar iestādēm",
    "ledger_as_of": "Mediatora sadarbība ar iestādēm šajā mēnesī, kā tā reģistrēta līdz notikumam Nr. {as_of}, "
                    "ar iestāžu atbildēm līdz tam; laiks — Rīgas laiks.",
    "ledger_since": "Skaitļi augstāk ir līdz pārskata iesniegšanai (notikums Nr. {submitted}); sadarbības un "
                    "atbildes, kas reģistrētas pēc tam, ir atzīmētas.",
    "ledger_columns": ("Laiks", "Iestāde", "Kontaktpersona", "Joma", "Veids", "Mērķis", "Iestādes atbilde"),
    "recorded_later": "reģistrēta pēc iesniegšanas", "answered_later": "pēc iesniegšanas",
    "no_answer": "vēl nav atbildes",
    "computed": "Visi skaitļi aprēķināti no reģistrētajiem notikumiem; tos nevar ievadīt ar roku.",
    # The four prompts of the mediators' own reports, as the programme's guidelines word them (seed 001).
    "narrative_parts": {"main_issues": "Pamatjautājumi, ar kuriem nākas strādāt…",
                        "glad_about": "Ir prieks par…",
                        "challenges": "Lielākie izaicinājumi bija…",
                        "next_priorities": "Turpmākajā darbā svarīgākais būs…"},
    "statuses": {"draft": "sagatave", "submitted": "iesniegts", "approved": "apstiprināts",
                 "returned": "atgriezts precizēšanai"},
    "title_evaluations": "Romu mediatoru darba rezultātu izvērtējums",
    "subtitle_evaluations": "Pašvaldības darbinieku aptauju kopsavilkums",
    "evaluations": "Izvērtējumi", "question": "Jautājums", "by_mediator": "Pēc romu mediatora",
    "no_evaluations": "Šajā periodā izvērtējumu nav.", "institution": "Iestāde",
    # The questionnaire's wording, as the municipal staff read it (seed 001).
    "questions": {
        "improved_communication": "Vai romu mediators ir uzlabojis saziņu starp romu ģimenēm un valsts "
                                  "pārvaldes/pašvaldības iestāžu darbiniekiem?",
        "identified_needs": "Vai romu mediators iespēju robežās ir apzinājis romu situāciju un ziņojis vietējās "
                            "pašvaldības pārstāvjiem par romu aktuālākajām vajadzībām un problēmām?",
        "improved_access": "Vai uzskatāt, ka romu mediators ir veicinājis romu piekļuvi pašvaldības pakalpojumiem?",
        "coordinated_actions": "Vai romu mediators ir saskaņojis savu rīcību ar pilsētas pašvaldības iestādēm "
                               "un/vai valsts aģentūrām vietējā līmenī?",
        "joint_planning": "Vai esat aicinājuši romu mediatoru kopīgai darba izvērtēšanai, tālākai plānošanai Jūsu "
                          "darba jomā?",
        "key_achievements": "Kādi, Jūsuprāt, ir galvenie/svarīgākie romu mediatora paveiktie darbi tajā "
                            "pašvaldības darbības jomā, kuru Jūs pārstāvat?",
        "keep_in_view": "Kādi jautājumi, jūsuprāt, romu mediatoram jūsu pašvaldībā būtu jāpatur redzeslokā "
                        "turpmāk?"},
    "questions_short": {"improved_communication": "Uzlabota saziņa", "identified_needs": "Apzinātas vajadzības",
                        "improved_access": "Veicināta piekļuve pakalpojumiem",
                        "coordinated_actions": "Saskaņota rīcība",
                        "joint_planning": "Aicināts kopīgi izvērtēt un plānot"},
    "answers": {"yes": "jā", "partly": "daļēji", "no": "nē"},
    "domains": in_language(DOMAINS, "lv"), "channels": in_language(CHANNELS, "lv"),
    "cooperation_answers": in_language(COOPERATION_ANSWERS, "lv"),
    "activity_kinds": {"home_visit": "mājas apmeklējums", "consultation": "konsultācija",
                       "document_assistance": "palīdzība ar dokumentiem", "accompaniment": "pavadīšana",
                       "interpreting": "tulkošana", "information_session": "informatīvs pasākums",
                       "community_event": "kopienas pasākums", "other": "cits"},
    "outcome_kinds": {"school_enrolled": "uzņemts skolā",
                      "preschool_enrolled": "uzņemts pirmsskolas izglītības iestādē",
                      "attendance_improved": "uzlabojusies skolas apmeklētība",
                      "education_resumed": "atsākta izglītības iegūšana",
                      "job_obtained": "atrasts darbs",
                      "unemployment_status_obtained": "piešķirts bezdarbnieka statuss",
                      "low_income_status_granted": "piešķirts trūcīgas vai maznodrošinātas ģimenes statuss",
                      "benefit_granted": "piešķirts pabalsts", "housing_granted": "piešķirts mājoklis",
                      "debt_schedule_agreed": "noslēgta vienošanās par parāda atmaksas grafiku",
                      "health_care_received": "saņemta veselības aprūpe",
                      "documents_obtained": "saņemti dokumenti", "other": "cits"},
}

_EN: dict[str, Any] = {
    "title_summary": "Roma mediators' work: summary",
    "title_monthly": "Roma mediator's monthly report",
    "period": "Period", "municipality": "Municipality", "municipalities": "Municipalities",
    "all_municipalities": "all municipalities",
    "mediator": "Roma mediator", "as_of": "Data as of event sequence", "status": "Status",
    "submitted_at": "Submitted", "reviewed_at": "Reviewed", "review_note": "Coordinator's note",
    "figures_as_of": "Figures as of event sequence",
    "mediators_active": "Active Roma mediators", "families_supported": "Roma families supported",
    "families_regular": "regularly (on at least 3 different days)", "families_episodic": "episodically",
    "persons_helped": "Persons helped", "activities": "Activities",
    "participants": "participants, summed over activities",
    "cooperations": "Cooperation with institutions", "acknowledged": "acknowledged by the institution",
    "disputed": "disputed by the institution",
    **in_language(_REFERRAL_WORDS, "en"),
    "outcomes": "Outcomes", "by_kind": "by kind", "by_domain": "by domain", "by_institution": "by institution",
    "chart_institutions": "Cooperation with institutions, by institution (darker part: acknowledged)",
    "total": "Total", "figure": "Figure", "none": "none", "narrative": "The mediator's account",
    "narrative_missing": "The report has not been submitted yet.",
    "amended": "Events about this month were recorded after submission. Current figures:",
    "acknowledged_since": lambda n: f"Since submission, institutions acknowledged {n} more "
                                    f"cooperation{'' if n == 1 else 's'}.",
    "limited_to": "Figures only for the work in your municipalities:",
    "ledger_title": "Cooperation with institutions",
    "ledger_as_of": "The mediator's cooperation with institutions this month, as recorded up to event sequence "
                    "{as_of}, with the institutions' answers up to then; times are Riga time.",
    "ledger_since": "The figures above are as of the report's submission (sequence {submitted}); cooperations and "
                    "answers recorded since are marked.",
    "ledger_columns": ("Time", "Institution", "Contact person", "Domain", "Channel", "Purpose",
                       "Institution's answer"),
    "recorded_later": "recorded after submission", "answered_later": "after submission",
    "no_answer": "no answer yet",
    "computed": "Every figure is computed from the recorded events; none can be typed in.",
    "narrative_parts": {"main_issues": "The main issues I have to work on…", "glad_about": "I am glad about…",
                        "challenges": "The biggest challenges were…",
                        "next_priorities": "What will matter most in future work…"},
    "statuses": {"draft": "draft", "submitted": "submitted", "approved": "approved",
                 "returned": "returned for changes"},
    "title_evaluations": "Roma mediators' work: evaluation of results",
    "subtitle_evaluations": "Summary of the municipal staff surveys",
    "evaluations": "Evaluations", "question": "Question", "by_mediator": "By Roma mediator",
    "no_evaluations": "No evaluations in this period.", "institution": "Institution",
    "questions": {
        "improved_communication": "Has the Roma mediator improved communication between Roma families and the "
                                  "staff of state and municipal institutions?",
        "identified_needs": "Has the Roma mediator, as far as possible, identified the situation of the Roma and "
                            "informed the local government's representatives of the Roma's most pressing needs "
                            "and problems?",
        "improved_access": "Do you consider that the Roma mediator has furthered the Roma's access to municipal "
                           "services?",
        "coordinated_actions": "Has the Roma mediator coordinated their actions with the city's municipal "
                               "institutions and/or state agencies at the local level?",
        "joint_planning": "Have you invited the Roma mediator to evaluate the work together with you and to plan "
                          "further in your field of work?",
        "key_achievements": "In your view, what are the Roma mediator's main, most important achievements in the "
                            "area of municipal work that you represent?",
        "keep_in_view": "In your view, which issues should the Roma mediator in your municipality keep in view "
                        "from now on?"},
    "questions_short": {"improved_communication": "Improved communication", "identified_needs": "Identified needs",
                        "improved_access": "Furthered access to services",
                        "coordinated_actions": "Coordinated actions",
                        "joint_planning": "Invited to joint evaluation and planning"},
    "answers": {"yes": "yes", "partly": "partly", "no": "no"},
    "domains": in_language(DOMAINS, "en"), "channels": in_language(CHANNELS, "en"),
    "cooperation_answers": in_language(COOPERATION_ANSWERS, "en"),
    "activity_kinds": {"home_visit": "home visit", "consultation": "consultation",
                       "document_assistance": "help with documents", "accompaniment": "accompaniment",
                       "interpreting": "interpreting", "information_session": "information session",
                       "community_event": "community event", "other": "other"},
    "outcome_kinds": {"school_enrolled": "enrolled in school", "preschool_enrolled": "enrolled in a preschool",
                      "attendance_improved": "school attendance improved",
                      "education_resumed": "returned to education",
                      "job_obtained": "job obtained", "unemployment_status_obtained": "unemployment status obtained",
                      "low_income_status_granted": "needy or low-income family status granted",
                      "benefit_granted": "benefit granted",
                      "housing_granted": "housing granted", "debt_schedule_agreed": "debt repayment schedule agreed",
                      "health_care_received": "health care received", "documents_obtained": "documents obtained",
                      "other": "other"},
}

WORDS = {"lv": _LV, "en": _EN}
