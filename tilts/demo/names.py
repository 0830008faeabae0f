"""Invented names: municipalities, people, streets and the institutions of the season.

Every person and institution here is made up. None is one of the real people or institutions
named in the source documents (the tests check the person names against them).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["ACTIVE_MUNICIPALITIES", "INSTITUTIONS", "MASCULINE_ROLES", "MEDIATORS",
           "MUNICIPALITIES", "FamilyName", "InstitutionTemplate", "NameBook"]

MUNICIPALITIES: tuple[tuple[str, str], ...] = (
    ("jelgava", "Jelgava"), ("ventspils", "Ventspils"), ("riga", "Rīga"),
    ("valmiera", "Valmiera"), ("vilaka", "Viļaka"), ("balvi", "Balvi"), ("dobele", "Dobele"),
    ("daugavpils", "Daugavpils"), ("talsi", "Talsi"),
)
"""Every municipality of the season: id and Latvian name."""

ACTIVE_MUNICIPALITIES: tuple[str, ...] = ("jelgava", "ventspils", "vilaka", "balvi", "riga",
                                          "valmiera")
"""Municipalities where a mediator works this season."""

# (mediator id, invented display name, municipalities)
MEDIATORS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("med-jelgava", "Rozālija Lukaševiča", ("jelgava",)),
    ("med-ventspils", "Artūrs Višņevskis", ("ventspils",)),
    ("med-vilaka", "Žanna Osipova", ("vilaka", "balvi")),
    ("med-riga", "Romāns Baranovskis", ("riga",)),
    ("med-valmiera", "Lolita Savicka", ("valmiera",)),
)
"""The five mediators of the season (invented people)."""

_STAFF_WOMEN = ("Aija", "Baiba", "Dace", "Elīna", "Gunta", "Ilona", "Inese", "Jolanta",
                "Kristīne", "Laura", "Līga", "Madara", "Māra", "Nora", "Rūta", "Santa", "Solvita",
                "Una", "Vineta", "Zane", "Antra", "Dzintra", "Egija", "Ieva", "Agita", "Lelde",
                "Ligita", "Sanita", "Anete", "Gita", "Ilze", "Signe")
_STAFF_MEN = ("Juris", "Andris", "Aivars", "Guntis", "Uldis", "Valdis", "Normunds", "Raimonds",
              "Ivars", "Gatis", "Māris", "Jānis", "Edgars", "Kārlis")
# (masculine, feminine)
_STAFF_SURNAMES = (
    ("Liepiņš", "Liepiņa"), ("Kalniņš", "Kalniņa"), ("Ozols", "Ozola"), ("Bērziņš", "Bērziņa"),
    ("Vītols", "Vītola"), ("Zariņš", "Zariņa"), ("Krūmiņš", "Krūmiņa"), ("Strautiņš", "Strautiņa"),
    ("Priedītis", "Priedīte"), ("Eglītis", "Eglīte"), ("Siliņš", "Siliņa"), ("Jansons", "Jansone"),
    ("Pētersons", "Pētersone"), ("Vanags", "Vanaga"), ("Mežulis", "Mežule"),
    ("Avotiņš", "Avotiņa"), ("Rozenbergs", "Rozenberga"), ("Dreimanis", "Dreimane"),
    ("Kalējs", "Kalēja"), ("Grīnbergs", "Grīnberga"), ("Sproģis", "Sproģe"), ("Lūsis", "Lūse"),
    ("Ābols", "Ābola"), ("Ziediņš", "Ziediņa"), ("Ločmelis", "Ločmele"), ("Cīrulis", "Cīrule"),
    ("Freimanis", "Freimane"), ("Purviņš", "Purviņa"),
)

_FAMILY_WOMEN = ("Ļubova", "Valentīna", "Žanete", "Svetlana", "Jeļena", "Natālija", "Angelina",
                 "Esmeralda", "Viktorija", "Karīna", "Diāna", "Sofija", "Marina", "Tamāra",
                 "Nadežda", "Samanta", "Kristiāna", "Alīna", "Anastasija", "Emīlija", "Elza",
                 "Paula", "Amēlija", "Veronika", "Stella", "Regīna", "Loreta", "Ērika")
_FAMILY_MEN = ("Aleksandrs", "Rolands", "Nikolajs", "Vladimirs", "Jevgēņijs", "Deniss", "Ēriks",
               "Valters", "Ričards", "Markuss", "Daniels", "Roberts", "Timurs", "Kristaps",
               "Gustavs", "Oskars", "Rinalds", "Sergejs", "Viktors", "Andrejs", "Igors",
               "Dāvids", "Emīls", "Renārs", "Alberts", "Leons", "Mihails", "Ādams")


@dataclass(frozen=True)
class FamilyName:
    """A family surname in its masculine, feminine and plural ("the X family") forms."""

    masculine: str
    feminine: str
    plural: str


_FAMILY_SURNAMES = tuple(FamilyName(*forms) for forms in (
    ("Grigorjevs", "Grigorjeva", "Grigorjevi"), ("Kalinovskis", "Kalinovska", "Kalinovski"),
    ("Bogdanovs", "Bogdanova", "Bogdanovi"), ("Pavlovskis", "Pavlovska", "Pavlovski"),
    ("Stankevičs", "Stankeviča", "Stankeviči"), ("Voronovs", "Voronova", "Voronovi"),
    ("Rudzītis", "Rudzīte", "Rudzīši"), ("Šimkevičs", "Šimkeviča", "Šimkeviči"),
    ("Jakubovskis", "Jakubovska", "Jakubovski"), ("Tarasovs", "Tarasova", "Tarasovi"),
    ("Semjonovs", "Semjonova", "Semjonovi"), ("Laurinavičs", "Laurinaviča", "Laurinaviči"),
    ("Krasovskis", "Krasovska", "Krasovski"), ("Ļebedevs", "Ļebedeva", "Ļebedevi"),
    ("Ivanovskis", "Ivanovska", "Ivanovski"), ("Makarevičs", "Makareviča", "Makareviči"),
    ("Orlovs", "Orlova", "Orlovi"), ("Gavrilovs", "Gavrilova", "Gavrilovi"),
    ("Petrovskis", "Petrovska", "Petrovski"), ("Sokolovs", "Sokolova", "Sokolovi"),
    ("Zelenkevičs", "Zelenkeviča", "Zelenkeviči"), ("Kuzņecovs", "Kuzņecova", "Kuzņecovi"),
    ("Jurgelāns", "Jurgelāne", "Jurgelāni"), ("Dimitrovs", "Dimitrova", "Dimitrovi"),
    ("Romanovskis", "Romanovska", "Romanovski"), ("Belovs", "Belova", "Belovi"),
    ("Grabovskis", "Grabovska", "Grabovski"), ("Karpovs", "Karpova", "Karpovi"),
    ("Mironovs", "Mironova", "Mironovi"), ("Vasiļevskis", "Vasiļevska", "Vasiļevski"),
    ("Kaminskis", "Kaminska", "Kaminski"), ("Fjodorovs", "Fjodorova", "Fjodorovi"),
))

_STREETS = ("Liepu", "Kalna", "Dārza", "Skolas", "Meža", "Upes", "Pļavu", "Ezera", "Stacijas",
            "Rūpniecības", "Dzirnavu", "Ganību", "Smilšu", "Zemeņu", "Akmeņu", "Vējdzirnavu")


class NameBook:
    """Hands out invented names deterministically, never the same full name twice."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def _unique(self, given: tuple[str, ...], surname: str) -> str:
        for _ in range(200):
            name = f"{self._rng.choice(given)} {surname}"
            if name not in self._used:
                self._used.add(name)
                return name
        raise RuntimeError(f"ran out of given names for {surname}")

    def staff(self, role: str) -> str:
        """The full name of an institution employee with this (gendered) job title."""
        masculine, feminine = self._rng.choice(_STAFF_SURNAMES)
        if role in MASCULINE_ROLES:
            return self._unique(_STAFF_MEN, masculine)
        return self._unique(_STAFF_WOMEN, feminine)

    def family_surname(self) -> FamilyName:
        """A Roma family's surname."""
        return self._rng.choice(_FAMILY_SURNAMES)

    def family_member(self, family: FamilyName, female: bool) -> tuple[str, str]:
        """(given name, surname) of a family member."""
        given = self._rng.choice(_FAMILY_WOMEN if female else _FAMILY_MEN)
        return given, family.feminine if female else family.masculine

    def address(self, town: str) -> str:
        """An invented street address in a town."""
        street = self._rng.choice(_STREETS)
        house = self._rng.randint(1, 64)
        if self._rng.random() < 0.6:
            return f"{street} iela {house}-{self._rng.randint(1, 36)}, {town}"
        return f"{street} iela {house}, {town}"

    def phone(self) -> str:
        """A placeholder mobile number (+371 2000 0xxx)."""
        return f"+371 2000 {self._rng.randint(0, 9999):04d}"


MASCULINE_ROLES = frozenset({
    "sociālais pedagogs", "direktora vietnieks", "inspektors darbam ar nepilngadīgajiem",
    "nodaļas priekšnieks", "centra vadītājs", "iecirkņa vadītājs", "nodaļas vadītājs",
    "valdes priekšsēdētājs",
})
"""Job titles in the masculine form (Latvian titles agree with the person's gender)."""


@dataclass(frozen=True)
class InstitutionTemplate:
    """An invented institution: short id part, kind, name, domains and its contacts' jobs."""

    slug: str
    kind: str
    name: str
    domains: tuple[str, ...]
    roles: tuple[str, ...]


def _t(slug: str, kind: str, name: str, domains: str, *roles: str) -> InstitutionTemplate:
    return InstitutionTemplate(slug, kind, name, tuple(domains.split()), roles)


_SOCIAL_ROLES = ("sociālā darbiniece darbam ar ģimenēm", "nodaļas vadītāja", "sociālā darbiniece")
_SCHOOL_ROLES = ("sociālā pedagoģe", "direktora vietniece izglītības jomā", "klases audzinātāja")
_NVA_ROLES = ("karjeras konsultante", "bezdarbnieku apkalpošanas speciāliste")
_ORPHANS_ROLES = ("bāriņtiesas priekšsēdētāja", "bāriņtiesas locekle")
_BOARD_ROLES = ("bērnu tiesību aizsardzības speciāliste", "izglītības metodiķe")
_COUNCIL_ROLES = ("izpilddirektora vietniece", "romu kopienas koordinatore")
_MPOLICE_ROLES = ("inspektors darbam ar nepilngadīgajiem", "nodaļas priekšnieks")
_POLICE_ROLES = ("nepilngadīgo lietu inspektore",)
_HEALTH_ROLES = ("ģimenes ārste", "ārsta palīdze")
_HOUSING_ROLES = ("klientu apkalpošanas vadītāja", "parādu piedziņas speciāliste")
_PRESCHOOL_ROLES = ("vadītāja", "skolotāja logopēde")

INSTITUTIONS: dict[str, tuple[InstitutionTemplate, ...]] = {
    "jelgava": (
        _t("ozolu-psk", "school", "Jelgavas Ozolu pamatskola", "education social", *_SCHOOL_ROLES),
        _t("liepu-vsk", "school", "Jelgavas Liepu vidusskola", "education",
           "direktore", "sociālais pedagogs"),
        _t("talmacibas-vsk", "school", "Jelgavas Lielupes tālmācības vidusskola",
           "education employment", "direktora vietnieks", "mācību koordinatore"),
        _t("pii-kastanu", "preschool",
           "Jelgavas pirmsskolas izglītības iestāde «Kastaņu lapiņa»", "education",
           *_PRESCHOOL_ROLES),
        _t("izglitibas-birojs", "education_board", "Jelgavas Izglītības un bērnu tiesību birojs",
           "education legal", *_BOARD_ROLES),
        _t("socialais-dienests", "social_service", "Jelgavas pilsētas Sociālais dienests",
           "social housing health", *_SOCIAL_ROLES),
        _t("dome-integracija", "council", "Jelgavas domes Sabiedrības integrācijas birojs",
           "community documents housing", *_COUNCIL_ROLES),
        _t("nva", "employment_agency", "NVA Jelgavas filiāle", "employment documents",
           *_NVA_ROLES),
        _t("vp-nepilngadigie", "state_police",
           "Valsts policijas Zemgales nepilngadīgo inspektori", "legal", *_POLICE_ROLES),
        _t("pasvaldibas-policija", "municipal_police",
           "Jelgavas pašvaldības policijas Bērnu un jauniešu nodaļa", "legal education",
           *_MPOLICE_ROLES),
        _t("baritiesa", "orphans_court", "Jelgavas bāriņtiesas Ģimeņu atbalsta nodaļa",
           "legal social", *_ORPHANS_ROLES),
        _t("majoklu-serviss", "housing", "SIA «Jelgavas Mājokļu serviss»", "housing",
           *_HOUSING_ROLES),
        _t("gimenes-arsti", "health", "Ģimenes ārstu prakse «Lielupes veselība»", "health",
           *_HEALTH_ROLES),
        _t("tiesa", "court", "Lielupes rajona tiesa", "legal", "tiesas sekretāre"),
        _t("biedriba", "ngo", "Biedrība «Ceļš kopā»", "community social",
           "valdes priekšsēdētāja", "brīvprātīgā"),
    ),
    "ventspils": (
        _t("kapu-psk", "school", "Ventspils Kāpu pamatskola", "education social", *_SCHOOL_ROLES),
        _t("bakas-ssk", "school", "Ventspils Bākas sākumskola", "education",
           "direktore", "sociālā pedagoģe"),
        _t("pii-gliemezitis", "preschool",
           "Ventspils pirmsskolas izglītības iestāde «Jūras gliemezītis»", "education",
           *_PRESCHOOL_ROLES),
        _t("izglitibas-birojs", "education_board", "Ventspils Izglītības un bērnu tiesību birojs",
           "education legal", *_BOARD_ROLES),
        _t("socialais-dienests", "social_service", "Ventspils pilsētas Sociālais dienests",
           "social health", *_SOCIAL_ROLES),
        _t("dome-integracija", "council", "Ventspils domes Sabiedrības integrācijas birojs",
           "community documents", *_COUNCIL_ROLES),
        _t("majoklu-nodala", "housing", "Ventspils domes Mājokļu atbalsta nodaļa", "housing",
           "nodaļas vadītāja", "dzīvokļu speciāliste"),
        _t("nva", "employment_agency", "NVA Ventspils filiāle", "employment documents",
           *_NVA_ROLES),
        _t("vp-nepilngadigie", "state_police",
           "Valsts policijas Kurzemes nepilngadīgo inspektori", "legal", *_POLICE_ROLES),
        _t("pasvaldibas-policija", "municipal_police",
           "Ventspils pašvaldības policijas Bērnu un jauniešu nodaļa", "legal education",
           *_MPOLICE_ROLES),
        _t("baritiesa", "orphans_court", "Ventspils bāriņtiesas Ģimeņu atbalsta nodaļa",
           "legal social", *_ORPHANS_ROLES),
        _t("veselibas-centrs", "health", "Ventspils veselības centrs «Krasts»", "health",
           *_HEALTH_ROLES),
        _t("biedriba", "ngo", "Biedrība «Romu jaunieši Kurzemē»", "community education",
           "valdes locekle"),
        _t("jauniesu-centrs", "youth_centre", "Ventspils jauniešu centrs «Stūris»",
           "community education", "jaunatnes darbiniece", "centra vadītājs"),
    ),
    "riga": (
        _t("krastmalas-psk", "school", "Rīgas Krastmalas pamatskola", "education social",
           *_SCHOOL_ROLES),
        _t("dzirnupes-vsk", "school", "Rīgas Dzirnupes vidusskola", "education",
           "direktore", "sociālā pedagoģe"),
        _t("pii-zakeni", "preschool",
           "Rīgas pirmsskolas izglītības iestāde «Saules zaķēni»", "education",
           *_PRESCHOOL_ROLES),
        _t("izglitibas-birojs", "education_board", "Rīgas Izglītības un bērnu tiesību birojs",
           "education legal", *_BOARD_ROLES),
        _t("socialais-dienests", "social_service",
           "Rīgas Sociālā dienesta Daugavmalas teritoriālais centrs", "social housing health",
           *_SOCIAL_ROLES),
        _t("dome-integracija", "council", "Rīgas domes Sabiedrības integrācijas birojs",
           "community documents", *_COUNCIL_ROLES),
        _t("nva", "employment_agency", "NVA Rīgas Daugavmalas filiāle", "employment documents",
           *_NVA_ROLES),
        _t("vp-nepilngadigie", "state_police", "Valsts policijas Rīgas nepilngadīgo inspektori",
           "legal", *_POLICE_ROLES),
        _t("pasvaldibas-policija", "municipal_police",
           "Rīgas pašvaldības policijas Bērnu un jauniešu nodaļa", "legal education",
           *_MPOLICE_ROLES),
        _t("baritiesa", "orphans_court", "Rīgas bāriņtiesas Ģimeņu atbalsta nodaļa",
           "legal social", *_ORPHANS_ROLES),
        _t("majoklu-serviss", "housing", "SIA «Rīgas Mājokļu serviss»", "housing",
           *_HOUSING_ROLES),
        _t("infektologija", "health", "Rīgas infektoloģijas poliklīnika «Daugmala»", "health",
           "ārste infektoloģe", "virsmāsa"),
        _t("gimenes-arsti", "health", "Ģimenes ārstu prakse «Krastmala»", "health",
           *_HEALTH_ROLES),
        _t("tiesa", "court", "Rīgas pilsētas Daugavmalas tiesa", "legal", "tiesas sekretāre"),
        _t("krizes-centrs", "ngo", "Krīzes centrs «Patvērums Daugavmalā»", "social housing",
           "centra vadītāja", "sociālā darbiniece"),
        _t("biedriba", "ngo", "Biedrība «Romu sievietes Rīgā»", "community social",
           "valdes priekšsēdētāja"),
    ),
    "valmiera": (
        _t("berzu-psk", "school", "Valmieras Bērzu pamatskola", "education social",
           *_SCHOOL_ROLES),
        _t("pii-niedrite", "preschool",
           "Valmieras pirmsskolas izglītības iestāde «Gaujas niedrīte»", "education",
           *_PRESCHOOL_ROLES),
        _t("izglitibas-birojs", "education_board", "Valmieras Izglītības un bērnu tiesību birojs",
           "education legal", *_BOARD_ROLES),
        _t("socialais-dienests", "social_service", "Valmieras pilsētas Sociālais dienests",
           "social health", *_SOCIAL_ROLES),
        _t("dome-integracija", "council", "Valmieras domes Sabiedrības integrācijas birojs",
           "community documents", *_COUNCIL_ROLES),
        _t("nva", "employment_agency", "NVA Valmieras filiāle", "employment documents",
           *_NVA_ROLES),
        _t("vp-nepilngadigie", "state_police",
           "Valsts policijas Vidzemes nepilngadīgo inspektori", "legal", *_POLICE_ROLES),
        _t("pasvaldibas-policija", "municipal_police",
           "Valmieras pašvaldības policijas Bērnu un jauniešu nodaļa", "legal education",
           *_MPOLICE_ROLES),
        _t("baritiesa", "orphans_court", "Valmieras bāriņtiesas Ģimeņu atbalsta nodaļa",
           "legal social", *_ORPHANS_ROLES),
        _t("namsaimnieks", "housing", "SIA «Valmieras Namsaimnieks Gauja»", "housing employment",
           "personāla speciāliste", "parādu piedziņas speciāliste", "iecirkņa vadītājs"),
        _t("gimenes-arsti", "health", "Ģimenes ārstu prakse «Gaujmala»", "health",
           *_HEALTH_ROLES),
        _t("biedriba", "ngo", "Biedrība «Vidzemes romu kopiena»", "community",
           "valdes locekle"),
    ),
    "vilaka": (
        _t("ezermalas-psk", "school", "Viļakas Ezermalas pamatskola", "education social",
           *_SCHOOL_ROLES),
        _t("pii-ciekurins", "preschool",
           "Viļakas pirmsskolas izglītības iestāde «Priežu čiekuriņš»", "education",
           *_PRESCHOOL_ROLES),
        _t("izglitibas-birojs", "education_board",
           "Viļakas novada Izglītības un bērnu tiesību birojs", "education legal",
           *_BOARD_ROLES),
        _t("socialais-dienests", "social_service", "Viļakas novada Sociālais dienests",
           "social health housing", *_SOCIAL_ROLES),
        _t("dome-integracija", "council", "Viļakas novada domes Sabiedrības integrācijas birojs",
           "community documents", *_COUNCIL_ROLES),
        _t("komunala-nodala", "housing", "Viļakas novada Komunālās saimniecības nodaļa",
           "housing", "nodaļas vadītājs"),
        _t("pasvaldibas-policija", "municipal_police",
           "Viļakas novada pašvaldības policijas Kārtības nodaļa", "legal",
           "inspektors darbam ar nepilngadīgajiem"),
        _t("baritiesa", "orphans_court", "Viļakas novada bāriņtiesas Ģimeņu atbalsta nodaļa",
           "legal social", *_ORPHANS_ROLES),
        _t("gimenes-arsti", "health", "Ģimenes ārstu prakse «Ezerkrasts»", "health",
           *_HEALTH_ROLES),
        _t("biedriba", "ngo", "Biedrība «Ziemeļlatgales romi»", "community social",
           "valdes priekšsēdētājs"),
    ),
    "balvi": (
        _t("priezu-psk", "school", "Balvu Priežu pamatskola", "education social", *_SCHOOL_ROLES),
        _t("pii-kastanis", "preschool",
           "Balvu pirmsskolas izglītības iestāde «Mazais kastanis»", "education",
           *_PRESCHOOL_ROLES),
        _t("socialais-dienests", "social_service", "Balvu novada Sociālais dienests",
           "social health", *_SOCIAL_ROLES),
        _t("dome-integracija", "council", "Balvu novada domes Sabiedrības integrācijas birojs",
           "community documents", *_COUNCIL_ROLES),
        _t("nva", "employment_agency", "NVA Balvu filiāle", "employment documents", *_NVA_ROLES),
        _t("vp-nepilngadigie", "state_police",
           "Valsts policijas Latgales nepilngadīgo inspektori", "legal", *_POLICE_ROLES),
        _t("baritiesa", "orphans_court", "Balvu novada bāriņtiesas Ģimeņu atbalsta nodaļa",
           "legal social", *_ORPHANS_ROLES),
        _t("majoklu-serviss", "housing", "SIA «Balvu Mājokļu serviss»", "housing",
           *_HOUSING_ROLES),
        _t("veselibas-centrs", "health", "Balvu veselības centrs «Bolupe»", "health",
           *_HEALTH_ROLES),
        _t("biblioteka", "library", "Balvu bibliotēkas Kopienas lasītava", "community education",
           "bibliotekāre"),
    ),
}
"""Invented institutions of each active municipality."""
