"""Latvian texts of the season: families' needs, notes, institutions' answers, report narratives."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ACK_NOTES", "ACTIVITY_NOTES", "APPROVAL_NOTES", "CHALLENGES", "COMMUNITY_EVENTS",
           "COVID_CHALLENGES", "DISPUTE_REASONS", "DOMAIN_WEIGHTS", "EVALUATION_TEXTS",
           "GENERAL_COOPERATIONS", "GLAD_ABOUT", "KEEPING_IN_TOUCH", "NARRATIVE", "NEEDS",
           "NEED_WEIGHTS", "OUTCOME_LABELS", "REFERRAL_NOTES", "REMOTE_NOTE", "RESUBMISSION_NOTE",
           "RETURN_NOTES", "CommunityEvent", "GeneralCooperation", "NeedTemplate"]


@dataclass(frozen=True)
class NeedTemplate:
    """A kind of need a family brings, and how a mediator typically works on it."""

    domain: str
    need: str
    description: str
    focus: str                                # who it is about: see `casework.FOCUS`
    activities: tuple[str, ...]               # activity kinds, most typical first
    institutions: tuple[str, ...]             # institution kinds to cooperate with, in order
    purposes: tuple[str, ...]                 # purposes of those cooperations
    outcomes: tuple[tuple[str, str], ...] = ()  # (outcome kind, note)
    referral: tuple[str, str] | None = None   # (institution kind, service)
    covid: bool | None = None                 # only during (True) or before (False) the emergency


def _need(domain: str, need: str, description: str, focus: str, activities: str,
          institutions: str, purposes: tuple[str, ...], outcomes: tuple[tuple[str, str], ...] = (),
          referral: tuple[str, str] | None = None, covid: bool | None = None) -> NeedTemplate:
    return NeedTemplate(domain, need, description, focus, tuple(activities.split()),
                        tuple(institutions.split()), purposes, outcomes, referral, covid)


DOMAIN_WEIGHTS: dict[str, int] = {"education": 42, "social": 20, "employment": 14, "health": 8,
                                  "housing": 8, "documents": 6, "legal": 4, "community": 2}
"""How often each domain comes up (education dominates, as in the seeds)."""

NEEDS: tuple[NeedTemplate, ...] = (
    # --- education ---
    _need("education", "Noskaidrot kavējumu iemeslus",
          "Bērns pēdējā mēneša laikā vairākas dienas kavējis skolu bez attaisnojuma. "
          "Jānoskaidro iemesli kopā ar klases audzinātāju un sociālo pedagogu.",
          "pupil", "home_visit consultation accompaniment", "school education_board municipal_police",
          ("kavējumu iemesli", "kavējumu uzskaite un vecāku informēšana",
           "individuāla saruna ar skolēnu un vecākiem"),
          (("attendance_improved", "Mēneša laikā neviena neattaisnota kavējuma."),
           ("attendance_improved", "Kavējumu skaits samazinājies uz pusi."))),
    _need("education", "Reģistrēt obligātajai pirmsskolas izglītībai",
          "Bērnam ir pieci gadi, bet viņš nav pieteikts obligātajai pirmsskolas izglītībai. "
          "Vecākiem jāpalīdz aizpildīt pieteikumu un saprast, kāpēc tas vajadzīgs.",
          "preschool", "home_visit document_assistance accompaniment", "preschool education_board",
          ("vieta piecgadīgo un sešgadīgo grupā", "pieteikums obligātajai pirmsskolas izglītībai"),
          (("preschool_enrolled", "Bērns sāka apmeklēt sagatavošanas grupu."),),
          ("education_board", "vietas piešķiršana pirmsskolas izglītības iestādē")),
    _need("education", "Pieteikt bērnu pamatskolas 1. klasē",
          "Bērnam jāsāk mācības 1. klasē, bet vecākiem trūkst dokumentu un ziņu par skolu.",
          "first_grader", "document_assistance accompaniment consultation", "school education_board",
          ("uzņemšana 1. klasē", "nepieciešamie dokumenti uzņemšanai skolā"),
          (("school_enrolled", "Bērns sāka mācības 1. klasē."),)),
    _need("education", "Atbalsts mācībās bērnam ar mācīšanās grūtībām",
          "Bērnam grūtības latviešu valodā un matemātikā. Jāvienojas ar skolu par "
          "atbalsta pasākumiem un konsultācijām pēc stundām.",
          "pupil", "consultation home_visit accompaniment", "school education_board",
          ("atbalsta pasākumi mācībās", "konsultācijas pēc stundām",
           "pedagoģiski medicīniskās komisijas izvērtējums"),
          (("attendance_improved", "Bērns regulāri apmeklē konsultācijas, sekmes uzlabojušās."),
           ("other", "Komisija ieteica piemērotu izglītības programmu.")),
          ("education_board", "izvērtēšana pedagoģiski medicīniskajā komisijā")),
    _need("education", "Motivēt pabeigt pamatizglītību",
          "Jaunietis pārtrauca mācības 8. klasē. Jāpalīdz atrast iespēju pabeigt "
          "pamatizglītību vakarskolā vai tālmācībā.",
          "youth", "consultation information_session accompaniment", "school employment_agency council",
          ("uzņemšana pamatizglītības programmā pieaugušajiem", "mācību turpināšanas iespējas"),
          (("education_resumed", "Jaunietis atsāka mācības pamatizglītības programmā."),),
          ("school", "uzņemšana pamatizglītības programmā pieaugušajiem")),
    _need("education", "Iesaistīt jaunieti programmā «PROTI un DARI!»",
          "Jaunietis nemācās un nestrādā. Jāinformē par ESF programmu «PROTI un DARI!» "
          "un jāpalīdz pieteikties.",
          "youth", "information_session consultation accompaniment",
          "youth_centre council employment_agency ngo",
          ("pieteikšanās programmā «PROTI un DARI!»", "individuālās programmas plāns jaunietim"),
          (("education_resumed", "Jaunietis sāka individuālo programmu «PROTI un DARI!»."),
           ("other", "Jaunietis regulāri apmeklē jauniešu centra nodarbības.")),
          ("council", "dalība ESF programmā «PROTI un DARI!»")),
    _need("education", "Novērst mācību pārtraukšanu (projekts «Pumpurs»)",
          "Skolēnam ir augsts risks pārtraukt mācības. Jāvienojas ar skolu par individuālo "
          "atbalsta plānu ESF projektā «Pumpurs».",
          "teen", "consultation home_visit information_session", "school education_board",
          ("individuālais atbalsta plāns projektā «Pumpurs»",
           "vecāku informēšana par projektu «Pumpurs»"),
          (("attendance_improved",
            "Skolēns apmeklē pedagoga konsultācijas projektā «Pumpurs», kavējumu mazāk."),),
          ("school", "individuālais atbalsts projektā «Pumpurs»")),
    _need("education", "Attālinātās mācības: bērnam nav datora",
          "Pēc skolu slēgšanas bērns nevar pieslēgties attālinātajām mācībām: mājās nav "
          "datora un interneta, vecāki nevar palīdzēt ar uzdevumiem.",
          "pupil", "consultation document_assistance home_visit", "school ngo council",
          ("planšetdators attālinātajām mācībām", "uzdevumi drukātā veidā",
           "saziņa ar klases audzinātāju e-klasē"),
          (("other", "Skola izsniedza planšetdatoru, bērns pieslēdzas stundām."),
           ("attendance_improved", "Bērns katru dienu iesniedz uzdevumus.")),
          ("school", "datora patapinājums attālinātajām mācībām"), covid=True),
    _need("education", "Vecāku iesaiste bērna mācībās",
          "Vecāki neapmeklē vecāku sapulces un nelieto e-klasi; jāpalīdz uzturēt saziņu ar skolu.",
          "pupil", "home_visit interpreting consultation", "school",
          ("vecāku sapulce", "saziņa ar vecākiem par sekmēm"),
          (("attendance_improved",
            "Māte apmeklēja vecāku sapulci un regulāri sazinās ar audzinātāju."),),
          covid=False),
    # --- social ---
    _need("social", "Palīdzība trūcīgas personas statusa noformēšanā",
          "Ģimenei nav pastāvīgu ienākumu. Jāsavāc izziņas un jāiesniedz iesniegums "
          "trūcīgas ģimenes statusa piešķiršanai.",
          "adult", "document_assistance consultation accompaniment", "social_service",
          ("trūcīgas ģimenes statusa izvērtēšana", "trūkstošās izziņas"),
          (("low_income_status_granted",
            "Ģimenei piešķirts trūcīgas ģimenes statuss uz sešiem mēnešiem."),),
          ("social_service", "trūcīgas ģimenes statusa izvērtēšana")),
    _need("social", "Garantētā minimālā ienākuma pabalsta pieteikšana",
          "Ģimenei ar trūcīgas ģimenes statusu nepietiek līdzekļu iztikai; jāpiesakās "
          "garantētā minimālā ienākuma pabalstam.",
          "adult", "document_assistance consultation", "social_service",
          ("GMI pabalsta pieprasījums", "iztikas līdzekļu deklarācija"),
          (("benefit_granted", "Piešķirts garantētā minimālā ienākuma pabalsts."),),
          ("social_service", "GMI pabalsta piešķiršana")),
    _need("social", "Krīzes situācija: pagaidu patvērums",
          "Ģimene palikusi bez mājokļa; māte ar bērniem jāizmitina krīzes centrā.",
          "adult", "accompaniment consultation", "social_service ngo orphans_court",
          ("izmitināšana krīzes centrā", "bērnu drošība krīzes situācijā"),
          (("other", "Māte ar bērniem izmitināta krīzes centrā."),),
          ("social_service", "izmitināšana krīzes centrā")),
    _need("social", "Aizbildnības kārtošana vecmāmiņai",
          "Bērni dzīvo pie vecmāmiņas, vecāki strādā ārzemēs. Jākārto aizbildnība un "
          "aizbildņa pabalsts.",
          "grandparent", "document_assistance accompaniment consultation",
          "orphans_court social_service",
          ("aizbildnības nodibināšana", "aizbildņa pabalsta dokumenti"),
          (("benefit_granted", "Vecmāmiņa iecelta par aizbildni, piešķirts aizbildņa pabalsts."),),
          ("orphans_court", "aizbildnības nodibināšana")),
    _need("social", "Pārtikas pakas ārkārtējās situācijas laikā",
          "Ārkārtējās situācijas laikā ģimenei trūkst pārtikas, bērni nesaņem "
          "brīvpusdienas skolā.",
          "adult", "consultation document_assistance", "social_service ngo council",
          ("pārtikas pakas skolēniem", "pārtikas paku piegāde"),
          (("benefit_granted", "Ģimene saņēma pārtikas pakas bērniem."),),
          ("social_service", "pārtikas pakas izsniegšana skolēniem"), covid=True),
    _need("social", "Sociālā darbinieka atbalsts ģimenei",
          "Ģimene nonākusi grūtībās; kopā ar sociālo darbinieku jāsastāda sociālās "
          "rehabilitācijas plāns.",
          "adult", "home_visit consultation", "social_service orphans_court",
          ("kopīgs mājas apmeklējums", "sociālās rehabilitācijas plāns"),
          (("other", "Ģimene pilda vienošanos ar sociālo darbinieku."),)),
    _need("social", "Dzīvokļa pabalsts apkurei",
          "Ziemā ģimenei nav līdzekļu malkai; jāpiesakās dzīvokļa pabalstam.",
          "adult", "document_assistance consultation", "social_service",
          ("dzīvokļa pabalsts apkurei",),
          (("benefit_granted", "Piešķirts dzīvokļa pabalsts malkas iegādei."),),
          ("social_service", "dzīvokļa pabalsts apkurei"), covid=False),
    # --- health ---
    _need("health", "Bērnu vakcinācija",
          "Bērniem nav veiktas plānveida vakcinācijas; skola lūdz izziņu.",
          "child", "consultation accompaniment", "health school",
          ("vakcinācijas grafiks", "izziņa skolai par vakcināciju"),
          (("health_care_received", "Bērni vakcinēti pēc grafika."),)),
    _need("health", "Reģistrēšanās pie ģimenes ārsta",
          "Pēc pārcelšanās ģimene nav reģistrēta pie ģimenes ārsta.",
          "any", "document_assistance accompaniment", "health",
          ("pacientu reģistrācija praksē",),
          (("health_care_received", "Ģimenes locekļi reģistrēti pie ģimenes ārsta."),),
          ("health", "pacientu reģistrācija ģimenes ārsta praksē")),
    _need("health", "Fizioterapija bērnam",
          "Bērnam pēc traumas nozīmēta fizioterapija; vecākiem grūti to noorganizēt.",
          "child", "accompaniment consultation", "health social_service",
          ("fizioterapijas kurss", "transports uz nodarbībām"),
          (("health_care_received", "Bērns apmeklēja visu fizioterapijas kursu."),),
          ("health", "fizioterapijas kurss")),
    _need("health", "Kompensējamo medikamentu saņemšana",
          "Hroniski slimam ģimenes loceklim vajadzīgas kompensējamās zāles.",
          "elder", "consultation accompaniment document_assistance", "health social_service",
          ("kompensējamo zāļu izrakstīšana", "līdzmaksājuma atbrīvojums"),
          (("health_care_received", "Izrakstītas kompensējamās zāles."),)),
    _need("health", "Invaliditātes noformēšana",
          "Ģimenes loceklim ir ilgstoša slimība; jāsagatavo dokumenti invaliditātes ekspertīzei.",
          "any", "document_assistance accompaniment", "health social_service",
          ("dokumenti invaliditātes ekspertīzei", "ārsta nosūtījums"),
          (("benefit_granted", "Noteikta invaliditāte un piešķirts pabalsts."),),
          ("social_service", "dokumentu sagatavošana invaliditātes ekspertīzei")),
    _need("health", "Izmeklējumi infektoloģijā",
          "Pieaugušajam nozīmēti izmeklējumi infektoloģijā; vajadzīga palīdzība saprast "
          "ārsta norādījumus.",
          "adult", "accompaniment interpreting", "health",
          ("izmeklējumu pieraksts", "ārsta norādījumu izskaidrošana"),
          (("health_care_received", "Veikti izmeklējumi, sākta ārstēšana."),),
          ("health", "ambulatorie izmeklējumi")),
    # --- employment ---
    _need("employment", "Reģistrēties NVA kā bezdarbniekam",
          "Pieaugušais ilgstoši bez darba un nav reģistrēts NVA. Jāsagatavo dokumenti un "
          "jāpavada uz filiāli.",
          "adult", "document_assistance accompaniment consultation", "employment_agency",
          ("bezdarbnieka statusa piešķiršana", "dokumenti reģistrācijai NVA"),
          (("unemployment_status_obtained", "Piešķirts bezdarbnieka statuss."),),
          ("employment_agency", "bezdarbnieka statusa piešķiršana")),
    _need("employment", "Darba meklēšana",
          "Pieaugušais vēlas strādāt, bet nav CV un pieredzes darba intervijās.",
          "adult", "consultation document_assistance accompaniment",
          "employment_agency housing council",
          ("vakances mazkvalificētam darbam", "CV sagatavošana", "darba intervija"),
          (("job_obtained", "Atrasts darbs par sētnieku."),
           ("job_obtained", "Pieņemts darbā noliktavā."),
           ("job_obtained", "Sākts darbs namu apsaimniekošanā."))),
    _need("employment", "NVA pasākumi ilgstošajiem bezdarbniekiem",
          "Ilgstošais bezdarbnieks var piedalīties NVA atbalsta pasākumos "
          "(profilēšana, motivācijas programma).",
          "adult", "information_session consultation accompaniment", "employment_agency",
          ("motivācijas programma ilgstošajiem bezdarbniekiem", "profilēšana"),
          (("other", "Pabeigta motivācijas programma."),
           ("job_obtained", "Pēc programmas atrasts algots pagaidu darbs.")),
          ("employment_agency", "motivācijas programma ilgstošajiem bezdarbniekiem")),
    _need("employment", "Profesionālā izglītība jaunajai māmiņai",
          "Jaunā māmiņa vēlas apgūt profesiju; jāpalīdz pieteikties profesionālās "
          "izglītības programmā.",
          "young_mother", "consultation information_session document_assistance",
          "employment_agency school",
          ("profesionālās izglītības iespējas", "pieteikšanās mācībām"),
          (("education_resumed", "Sāktas mācības profesionālajā programmā (pavāra palīgs)."),),
          ("employment_agency", "profesionālās izglītības programma bezdarbniekiem")),
    # --- housing ---
    _need("housing", "Parāda par īri un komunālajiem maksājumiem atmaksas grafiks",
          "Ģimenei uzkrājies parāds par īri un apkuri, draud izlikšana.",
          "adult", "consultation accompaniment document_assistance", "housing social_service",
          ("parāda atmaksas grafiks", "maksājumu kārtība"),
          (("debt_schedule_agreed", "Noslēgta vienošanās par parāda atmaksu pa daļām."),)),
    _need("housing", "Stāšanās rindā uz pašvaldības dzīvokli",
          "Ģimene dzīvo nepiemērotā mājoklī bez ūdens; jāiesniedz iesniegums palīdzībai "
          "dzīvokļa jautājuma risināšanā.",
          "adult", "document_assistance home_visit accompaniment", "housing council social_service",
          ("palīdzība dzīvokļa jautājuma risināšanā", "mājokļa apsekošana"),
          (("housing_granted", "Ģimenei piešķirts pašvaldības dzīvoklis."),),
          ("housing", "palīdzība dzīvokļa jautājuma risināšanā")),
    _need("housing", "Mājokļa sagatavošana ziemai",
          "Mājoklī nedarbojas krāsns un ir izsisti logi; pirms ziemas vajadzīgs remonts.",
          "adult", "home_visit consultation", "housing social_service",
          ("mājokļa apsekošana", "remonta iespējas"),
          (("other", "Nomainīti logi un salabota krāsns."),), covid=False),
    # --- documents ---
    _need("documents", "Dzīvesvietas deklarēšana",
          "Ģimene dzīvo pilsētā, bet dzīvesvieta deklarēta citur; bez tā nevar saņemt "
          "pašvaldības pakalpojumus.",
          "adult", "document_assistance accompaniment", "council social_service",
          ("dzīvesvietas deklarācija",),
          (("documents_obtained", "Dzīvesvieta deklarēta."),)),
    _need("documents", "Personu apliecinoša dokumenta noformēšana",
          "Pasei beidzies derīguma termiņš; jāpiesakās personas apliecībai.",
          "adult", "document_assistance accompaniment", "council",
          ("personas apliecības pieteikums",),
          (("documents_obtained", "Saņemta personas apliecība (eID)."),)),
    _need("documents", "Dzimšanas apliecības dublikāts bērnam",
          "Bērna dzimšanas apliecība nozaudēta; skola un ārsts prasa dokumentu.",
          "child", "document_assistance", "council",
          ("dzimšanas apliecības dublikāts",),
          (("documents_obtained", "Saņemts dzimšanas apliecības dublikāts."),)),
    _need("documents", "Faktiskās dzīvesvietas noskaidrošana",
          "Skola un sociālais dienests nevar sazināties ar ģimeni; jānoskaidro, kur ģimene "
          "faktiski dzīvo.",
          "any", "home_visit consultation", "school social_service council",
          ("ģimenes faktiskā dzīvesvieta", "saziņas iespējas ar ģimeni"),
          (("other", "Noskaidrota faktiskā dzīvesvieta, iestādes informētas."),)),
    # --- legal ---
    _need("legal", "Tulkošana tiesas sēdē",
          "Tēvam jāpiedalās tiesas sēdē. Viņš slikti saprot latviešu valodu, vajadzīgs "
          "romu valodas tulks.",
          "adult", "interpreting accompaniment consultation", "court orphans_court ngo",
          ("tulkošana tiesas sēdē", "tiesas sēdes datums un dokumenti"),
          (("other", "Tiesas sēde notika, tēvs saprata lēmumu."),)),
    _need("legal", "Nepilngadīgā profilakses lieta",
          "Pusaudzis aizturēts par sīku zādzību; jāsadarbojas ar nepilngadīgo lietu "
          "inspektoru profilakses pasākumos.",
          "teen", "consultation accompaniment home_visit", "state_police municipal_police school",
          ("profilakses plāns", "saruna ar pusaudzi un vecākiem"),
          (("attendance_improved", "Pusaudzis apmeklē skolu, jaunu pārkāpumu nav."),)),
    _need("legal", "Bāriņtiesas lēmums par bērna aprūpi",
          "Bāriņtiesa vērtē bērna aprūpi ģimenē; vecākiem jāpalīdz saprast prasības un "
          "piedalīties sēdē.",
          "child", "interpreting consultation home_visit", "orphans_court social_service",
          ("bāriņtiesas sēde", "bērna aprūpes plāns"),
          (("other", "Bāriņtiesa atstāja bērnu ģimenē sociālā darbinieka uzraudzībā."),)),
    _need("legal", "Uzturlīdzekļu pieprasīšana",
          "Māte bērnus audzina viena; jāpalīdz pieprasīt uzturlīdzekļus no "
          "Uzturlīdzekļu garantiju fonda.",
          "adult", "document_assistance consultation", "orphans_court ngo",
          ("uzturlīdzekļu iesniegums",),
          (("benefit_granted", "Piešķirti uzturlīdzekļi bērniem."),)),
    # --- community ---
    _need("community", "Iesaiste kopienas pasākumos",
          "Ģimene dzīvo noslēgti; aicināta piedalīties romu kultūras pasākumos un "
          "bibliotēkas nodarbībās.",
          "any", "community_event information_session", "ngo library youth_centre council",
          ("kopienas pasākums", "bērnu pulciņi"),
          (("other", "Bērni apmeklē pulciņu."),)),
    _need("community", "Saziņa ar ģimenes locekļiem ārzemēs",
          "Daļa ģimenes dzīvo ārzemēs; jāuztur saziņa par bērnu mācībām un dokumentiem.",
          "any", "consultation other", "school council",
          ("bērnu mācību turpināšana pēc atgriešanās",),
          (("other", "Ģimene informēta par bērnu atgriešanos skolā."),)),
)
"""Every kind of need the season's cases are made of."""

NEED_WEIGHTS: dict[str, int] = {
    "Noskaidrot kavējumu iemeslus": 4, "Reģistrēt obligātajai pirmsskolas izglītībai": 3,
    "Atbalsts mācībās bērnam ar mācīšanās grūtībām": 2, "Vecāku iesaiste bērna mācībās": 2,
    "Iesaistīt jaunieti programmā «PROTI un DARI!»": 2,
    "Novērst mācību pārtraukšanu (projekts «Pumpurs»)": 2,
    "Attālinātās mācības: bērnam nav datora": 5,
    "Palīdzība trūcīgas personas statusa noformēšanā": 5,
    "Garantētā minimālā ienākuma pabalsta pieteikšana": 2, "Dzīvokļa pabalsts apkurei": 2,
    "Sociālā darbinieka atbalsts ģimenei": 2, "Pārtikas pakas ārkārtējās situācijas laikā": 3,
    "Reģistrēties NVA kā bezdarbniekam": 3, "Darba meklēšana": 3,
    "NVA pasākumi ilgstošajiem bezdarbniekiem": 2, "Bērnu vakcinācija": 2,
    "Reģistrēšanās pie ģimenes ārsta": 2,
    "Parāda par īri un komunālajiem maksājumiem atmaksas grafiks": 3,
    "Stāšanās rindā uz pašvaldības dzīvokli": 2, "Dzīvesvietas deklarēšana": 2,
    "Personu apliecinoša dokumenta noformēšana": 2, "Faktiskās dzīvesvietas noskaidrošana": 2,
    "Tulkošana tiesas sēdē": 2,
}
"""How often a need comes up within its domain (1 unless named here)."""

ACTIVITY_NOTES: dict[str, tuple[str, ...]] = {
    "home_visit": ("Mājas vizītē pārrunāta situācija ar vecākiem.",
                   "Apmeklēta ģimene, izskaidrotas skolas prasības.",
                   "Mājas vizītē pārbaudīti dokumenti.",
                   "Pārrunāts, kā bērnam nokļūt skolā ziemā."),
    "consultation": ("Konsultācija mediatora telpās.",
                     "Pārrunāts, kādi dokumenti vajadzīgi.",
                     "Izskaidrots iestādes lēmums un nākamie soļi."),
    "document_assistance": ("Aizpildīts iesniegums.", "Palīdzēts sagatavot izziņas.",
                            "Sagatavoti dokumenti iesniegšanai.",
                            "Iesniegums nosūtīts elektroniski."),
    "accompaniment": ("Pavadīts uz iestādi, palīdzēts sarunā ar speciālistu.",
                      "Kopā apmeklēta iestāde."),
    "interpreting": ("Tulkots no romu valodas.", "Tulkota saruna ar speciālistu."),
    "information_session": ("Informēts par programmu «PROTI un DARI!».",
                            "Informēts par projektu «Pumpurs».",
                            "Informēts par NVA atbalsta pasākumiem ilgstošajiem bezdarbniekiem."),
    "community_event": ("Kopā ar bērniem apmeklēts kopienas pasākums.",),
    "other": ("Saziņa ar radiniekiem ārzemēs.", "Sarakste ar ģimeni tālrunī."),
}
"""Short notes a mediator writes about an activity, by kind."""

REMOTE_NOTE = "Ārkārtējās situācijas dēļ saziņa pa tālruni."
KEEPING_IN_TOUCH = "Regulārs kontakts ar ģimeni: pārrunāts, kā klājas bērniem un vecākiem."


@dataclass(frozen=True)
class CommunityEvent:
    """An event for the community, not tied to one family."""

    kind: str
    domain: str
    note: str
    participants: tuple[int, int]
    months: tuple[str, ...] = ()  # empty: any month


COMMUNITY_EVENTS: tuple[CommunityEvent, ...] = (
    CommunityEvent("information_session", "employment",
                   "Informatīvā diena par NVA atbalstu ilgstošajiem bezdarbniekiem.", (8, 20)),
    CommunityEvent("information_session", "education",
                   "Informatīvā tikšanās vecākiem par projektu «Pumpurs».", (6, 15)),
    CommunityEvent("information_session", "education",
                   "Informatīvā diena jauniešiem par programmu «PROTI un DARI!».", (8, 25)),
    CommunityEvent("community_event", "community", "Romu kultūras vakars bibliotēkā.", (20, 50),
                   ("2019-10", "2019-11", "2020-02")),
    CommunityEvent("community_event", "community", "Ziemassvētku pasākums romu bērniem.",
                   (25, 50), ("2019-12",)),
    CommunityEvent("community_event", "education", "Vecāku sapulce romu ģimenēm skolā.", (10, 30),
                   ("2019-09", "2019-10", "2020-01", "2020-02")),
    CommunityEvent("information_session", "health",
                   "Informatīvā tikšanās par vakcināciju un ģimenes ārsta pakalpojumiem.", (8, 20),
                   ("2019-10", "2019-11", "2020-01", "2020-02")),
    CommunityEvent("information_session", "education",
                   "Informēšana par pieteikšanos obligātajai pirmsskolas izglītībai.", (6, 15),
                   ("2019-09", "2020-01", "2020-02")),
    CommunityEvent("community_event", "community",
                   "Starptautiskā romu diena: tiešsaistes tikšanās ar kopienu.", (10, 30),
                   ("2020-04",)),
    CommunityEvent("community_event", "social",
                   "Pārtikas paku izdale ģimenēm ārkārtējās situācijas laikā.", (15, 40),
                   ("2020-03", "2020-04")),
)
"""Community events and information days."""


@dataclass(frozen=True)
class GeneralCooperation:
    """A cooperation about the community as a whole, naming no family."""

    kinds: tuple[str, ...]
    domain: str
    channel: str
    purpose: str
    covid: bool | None = None


GENERAL_COOPERATIONS: tuple[GeneralCooperation, ...] = (
    GeneralCooperation(("school",), "education", "meeting",
                       "romu skolēnu kavējumu pārskats"),
    GeneralCooperation(("social_service",), "social", "commission_meeting",
                       "starpinstitūciju sanāksme par romu ģimeņu situāciju"),
    GeneralCooperation(("council",), "community", "meeting",
                       "romu kopienas vajadzības pašvaldības plānā"),
    GeneralCooperation(("employment_agency",), "employment", "meeting",
                       "NVA vakances un atbalsta pasākumi romiem"),
    GeneralCooperation(("education_board", "preschool"), "education", "meeting",
                       "obligātā pirmsskolas izglītība romu bērniem"),
    GeneralCooperation(("state_police", "municipal_police"), "legal", "meeting",
                       "profilakses darbs ar romu pusaudžiem", False),
    GeneralCooperation(("orphans_court",), "legal", "commission_meeting",
                       "bērnu tiesību aizsardzības sadarbības grupa"),
    GeneralCooperation(("preschool",), "education", "phone", "brīvās vietas pirmsskolas grupās"),
    GeneralCooperation(("school",), "education", "email",
                       "attālināto mācību organizēšana romu skolēniem", True),
    GeneralCooperation(("social_service",), "social", "phone",
                       "pārtikas paku sadale ārkārtējā situācijā", True),
    GeneralCooperation(("ngo", "library", "youth_centre"), "community", "meeting",
                       "kopienas pasākuma plānošana", False),
)
"""Cooperations naming an institution but no family."""

ACK_NOTES: tuple[str | None, ...] = (
    None, None, "Apstiprinu, tikšanās notika.",
    "Saruna notika pa tālruni, vienojāmies par nākamajiem soļiem.",
    "Piedalījās arī klases audzinātāja.",
    "Paldies mediatoram par palīdzību saziņā ar ģimeni.",
)
"""Notes institutions add when acknowledging a cooperation (None: no note)."""

DISPUTE_REASONS: tuple[str, ...] = (
    "Šajā dienā tikšanās nenotika.",
    "Kontaktpersona tajā dienā bija atvaļinājumā.",
    "Saruna bija par citu ģimeni.",
    "Mūsu iestāde šo jautājumu nerisina.",
)
"""Why institutions dispute a recorded cooperation."""

REFERRAL_NOTES: dict[str, tuple[str, ...]] = {
    "accepted": ("Pieņemts, tikšanās norunāta nākamnedēļ.", "Pieņemts izskatīšanai.",
                 "Dokumenti saņemti, izskatīsim 10 darba dienu laikā."),
    "completed": ("Pakalpojums sniegts.", "Lēmums pieņemts, ģimene informēta.",
                  "Jautājums atrisināts, paldies par sadarbību."),
    "declined": ("Ģimenes dzīvesvieta nav deklarēta mūsu pašvaldībā.",
                 "Nav iesniegti visi nepieciešamie dokumenti.",
                 "Ienākumi pārsniedz noteikto līmeni.",
                 "Pakalpojums pašlaik nav pieejams ārkārtējās situācijas dēļ."),
}
"""Institutions' notes when answering a referral."""

APPROVAL_NOTES: tuple[str | None, ...] = (
    None, None, "Paldies, atskaite pieņemta.", "Labs darbs ar pirmsskolas reģistrāciju.",
    "Paldies par rūpīgi aprakstītām sadarbībām ar iestādēm.",
)
"""Coordinators' notes on approving a monthly report."""

RETURN_NOTES: tuple[str, ...] = (
    "Lūdzu papildināt sadaļu par izaicinājumiem.",
    "Lūdzu norādīt, ar kuriem speciālistiem sadarbojāties kavējumu jautājumos.",
    "Lūdzu precizēt, cik ģimenēm palīdzējāt ar dokumentiem.",
)
"""Coordinators' notes on returning a monthly report."""

OUTCOME_LABELS: dict[str, str] = {
    "school_enrolled": "uzņemti skolā", "preschool_enrolled": "uzņemti pirmsskolā",
    "attendance_improved": "uzlabojies skolas apmeklējums",
    "education_resumed": "atsāktas mācības", "job_obtained": "atrasts darbs",
    "unemployment_status_obtained": "piešķirts bezdarbnieka statuss",
    "low_income_status_granted": "piešķirts trūcīgas ģimenes statuss",
    "benefit_granted": "piešķirts pabalsts", "housing_granted": "piešķirts mājoklis",
    "debt_schedule_agreed": "noslēgts parāda atmaksas grafiks",
    "health_care_received": "saņemta veselības aprūpe",
    "documents_obtained": "saņemti dokumenti", "other": "citi rezultāti",
}
"""Latvian labels of outcome kinds, for report narratives."""

NARRATIVE: dict[str, dict[str, str]] = {
    "2019-09": {
        "main": "Mācību gada sākums: bērnu pieteikšana skolā un pirmsskolā, pirmie kavējumi, "
                "dokumenti trūcīgas ģimenes statusam.",
        "next": "Pieteikt 5-6 gadus vecos bērnus obligātajai pirmsskolas izglītībai un "
                "noskaidrot kavējumu iemeslus."},
    "2019-10": {
        "main": "Kavējumu iemeslu noskaidrošana kopā ar sociālajiem pedagogiem, ģimeņu "
                "reģistrācija NVA, sagatavošanās apkures sezonai.",
        "next": "Turpināt darbu ar kavējumiem, palīdzēt ģimenēm pieteikties dzīvokļa pabalstam."},
    "2019-11": {
        "main": "Parādi par īri un apkuri, pabalstu dokumenti, bērnu vakcinācija un "
                "reģistrēšanās pie ģimenes ārsta.",
        "next": "Vienoties par parādu atmaksas grafikiem, sagatavot Ziemassvētku pasākumu."},
    "2019-12": {
        "main": "Semestra noslēgums, sekmju pārrunas ar skolām, Ziemassvētku pasākums bērniem, "
                "ģimeņu atbalsts ziemā.",
        "next": "Otrajā semestrī motivēt jauniešus pieteikties programmai «PROTI un DARI!»."},
    "2020-01": {
        "main": "Otrā semestra sākums, darba meklēšana pieaugušajiem, jauniešu iesaiste "
                "programmā «PROTI un DARI!».",
        "next": "Pieteikt skolēnus projektam «Pumpurs», turpināt darba meklēšanu ar NVA."},
    "2020-02": {
        "main": "Projekts «Pumpurs» skolēniem ar mācību pārtraukšanas risku, pieaugušo "
                "izglītība, mājokļa jautājumi.",
        "next": "Sagatavoties pirmsskolas pieteikumiem nākamajam mācību gadam."},
    "2020-03": {
        "main": "Ārkārtējā situācija: attālinātās mācības, saziņa ar ģimenēm pa tālruni, "
                "pārtikas pakas skolēniem.",
        "next": "Palīdzēt bērniem bez datoriem pieslēgties mācībām, sekot, vai ģimenes saņem "
                "pārtikas pakas."},
    "2020-04": {
        "main": "Attālināto mācību atbalsts bērniem bez datoriem, pārtikas pakas, pabalsti "
                "ģimenēm, kas zaudējušas ienākumus.",
        "next": "Sagatavot ģimenes jaunajam mācību gadam un pirmsskolas reģistrācijai."},
}
"""Month themes of the mediators' narratives."""

GLAD_ABOUT: tuple[str, ...] = (
    "Ģimenes pašas sāk vērsties pie manis un iestādēm.",
    "Skolas sociālā pedagoģe mani aicina uz sarunām ar vecākiem.",
    "Vecāki biežāk nāk uz skolu un interesējas par bērnu sekmēm.",
    "Sociālā dienesta darbinieki ar mani sazinās paši, kad rodas jautājumi par romu ģimenēm.",
)
"""What mediators are glad about, besides the month's results."""

CHALLENGES: tuple[str, ...] = (
    "Ģimenes bieži maina dzīvesvietu, grūti uzturēt kontaktu.",
    "Daļa vecāku nav motivēti iesaistīties bērnu mācībās.",
    "Vairākiem vecākiem ir vāja latviešu valodas prasme un lasītprasme.",
    "Iestāžu darbinieki ne vienmēr atrod laiku kopīgām tikšanām.",
    "Četru stundu darba diena nepietiek visām ģimenēm.",
)
"""The biggest challenges mediators report (before the emergency)."""

COVID_CHALLENGES: tuple[str, ...] = (
    "Attālinātajās mācībās bērniem nav datoru un interneta, vecāki nevar palīdzēt.",
    "Ģimenes nevar apmeklēt klātienē; daudz laika aiziet saziņai pa tālruni.",
)
"""The biggest challenges during the emergency."""

RESUBMISSION_NOTE = ("Papildināts pēc koordinatores norādījumiem: sadarbībā ar skolu sociālo "
                     "pedagoģi un sociālo dienestu vienojāmies par kopīgām tikšanām reizi mēnesī.")

EVALUATION_TEXTS: dict[str, tuple[str, str]] = {
    "education": ("Romu bērni regulārāk apmeklē skolu, vecāki nāk uz sapulcēm; mediators "
                  "palīdzēja pieteikt bērnus pirmsskolā.",
                  "Atbalsts attālinātajās mācībās un saziņa ar vecākiem e-klasē."),
    "social": ("Ģimenes laikus iesniedz dokumentus pabalstiem; mediators palīdz sazināties ar "
               "ģimenēm, kuras citādi nevaram sasniegt.",
               "Ģimeņu motivēšana pašām kārtot savas lietas."),
    "employment": ("Vairāki romu bezdarbnieki reģistrējās NVA un iesaistījās pasākumos.",
                   "Jauniešu iesaiste programmā «PROTI un DARI!»."),
    "legal": ("Mediators palīdzēja vecākiem saprast bāriņtiesas prasības un tulkoja sēdēs.",
              "Profilakses darbs ar pusaudžiem."),
    "housing": ("Noslēgti parādu atmaksas grafiki, samazinājušies parādi.",
                "Savlaicīga saziņa par maksājumiem."),
    "health": ("Bērni vakcinēti, ģimenes reģistrētas pie ģimenes ārsta.",
               "Regulāras veselības pārbaudes bērniem."),
    "community": ("Kopienas pasākumi palīdz veidot uzticēšanos starp romu ģimenēm un iestādēm.",
                  "Plašāka sadarbība ar bibliotēkām un jauniešu centriem."),
}
"""(key achievements, keep in view) that institutions write in evaluations, by domain."""
