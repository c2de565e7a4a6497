"""Skill taxonomy and free-text normaliser: labelled table, edge cases, NYC missions."""

from __future__ import annotations

import csv
import json
import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from matching.skills import NormalisedSkills, SkillNormaliser, fold, stem
from matching.taxonomy import Taxonomy, TaxonomyError, load_taxonomy

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
NYC_CSV = SHARED_DATA / "nyc-service-volunteer-opportunities.csv"

# (what a volunteer typed, expected skill ids separated by spaces)
TABLE: list[tuple[str, str]] = [
    ("je sais cuisiner, conduire (permis B) et un peu de compta", "cooking driving_b accounting"),
    ("jardinnage", "gardening"),
    ("compta", "accounting"),
    ("permis b", "driving_b"),
    ("premiers secours", "first_aid"),
    ("anglais courant", "translation_english"),
    ("cuisinne", "cooking"),
    ("informatque", "it_support"),
    ("PSC1", "first_aid"),
    ("FLE", "fle"),
    ("bricolage", "diy_repairs"),
    ("manut", "handling"),
    ("j'ai le permis B et une voiture", "driving_b"),
    ("Je parle arabe et anglais", "translation_arabic translation_english"),
    ("traduction en ukrainien", "translation_ukrainian"),
    (
        "je peux faire de la traduction russe / ukrainien",
        "translation_russian translation_ukrainian",
    ),
    ("interprète en dari et pachto", "translation_dari_pashto"),
    ("chinois mandarin", "translation_chinese"),
    (
        "espagnol, portugais, italien",
        "translation_spanish translation_portuguese translation_italian",
    ),
    ("langue des signes (LSF)", "sign_language"),
    ("aide aux devoirs", "tutoring"),
    ("soutien scolaire en maths", "tutoring math_tutoring"),
    ("cours de maths niveau collège", "math_tutoring"),
    ("donner des cours de français aux migrants", "fle refugee_support"),
    ("alphabétisation", "literacy"),
    ("tri alimentaire à la banque alimentaire", "food_sorting"),
    ("distribution de colis alimentaires", "food_sorting"),
    ("maraude le soir", "street_outreach"),
    ("maraudes avec la Croix-Rouge", "street_outreach"),
    ("visites aux personnes âgées isolées", "elderly_visits"),
    ("tenir la caisse", "cashier"),
    ("accueil du public", "reception"),
    ("montage et démontage des stands", "event_setup"),
    ("logistique, gestion de stock", "logistics"),
    ("graphisme et réseaux sociaux", "graphic_design social_media"),
    ("photo et vidéo", "photography video"),
    ("développeuse web (React, Django)", "web_development"),
    ("dépannage informatique", "it_support"),
    ("rédaction de dossiers de subvention", "grant_writing"),
    ("trésorier d'une asso pendant 5 ans", "treasury"),
    ("comptabilité associative", "accounting"),
    ("recherche de mécénat", "sponsorship"),
    ("communication, relations presse", "marketing press_relations"),
    ("relecture et correction de textes", "proofreading"),
    ("animation d'ateliers pour enfants", "youth_activities"),
    ("BAFA, animation en centre de loisirs", "youth_activities"),
    ("baby-sitting le mercredi", "childcare"),
    ("bricolage, petites réparations, peinture", "diy_repairs painting"),
    ("plomberie et électricité", "plumbing electricity"),
    ("couture et tricot", "sewing knitting"),
    ("réparation de vélos", "bike_repair"),
    ("jardinage et potager", "gardening vegetable_gardening"),
    ("ramassage de déchets sur la plage", "litter_cleanup"),
    ("promener les chiens du refuge", "animal_care"),
    ("musique (guitare, chant)", "music"),
    ("théâtre d'impro", "theatre"),
    ("danse hip-hop", "dance"),
    ("lecture à voix haute pour les enfants", "reading_aloud"),
    ("entraîneur de foot", "football"),
    ("coach sportif, fitness", "sport_coaching fitness"),
    ("yoga et méditation", "yoga"),
    ("natation, maître-nageur BNSSA", "swimming"),
    ("randonnée en montagne", "hiking"),
    ("chauffeur poids lourd", "truck_driving"),
    ("je peux conduire un camion 20m3", "van_driving"),
    ("livraison à vélo cargo", "bike_delivery"),
    ("cariste avec CACES", "forklift"),
    ("aide au déménagement", "moving"),
    ("emballage et mise en colis", "packing"),
    ("psychologue clinicienne", "psychology"),
    ("infirmière", "nursing"),
    ("médecin généraliste à la retraite", "medical_doctor"),
    ("aide aux démarches administratives (CAF, impôts)", "admin_procedures tax_help"),
    ("juriste en droit des étrangers", "legal_advice immigration_law"),
    ("accompagnement des demandeurs d'asile", "refugee_support"),
    ("accompagnement vers l'emploi, CV, lettres de motivation", "job_coaching"),
    ("parrainage de jeunes", "mentoring"),
    ("vestiaire solidaire, tri de vêtements", "clothing_bank"),
    ("ramasse des invendus en supermarché", "food_recovery"),
    ("cuisine et service des repas", "cooking meal_serving"),
    ("secourisme PSE1", "first_aid rescue_team"),
    ("secrétariat, classement, archivage", "office_admin"),
    ("saisie de données sur Excel", "data_entry office_software"),
    ("tableaux de bord Power BI", "data_analysis"),
    ("base de données / CRM", "databases_crm"),
    ("aider les seniors avec leur smartphone", "digital_inclusion"),
    ("cybersécurité, RGPD", "cybersecurity"),
    ("UX design sur Figma", "ux_design"),
    ("reconditionnement d'ordinateurs", "computer_refurbishing"),
    ("buvette et billetterie lors du festival", "bar_service ticketing event_planning"),
    ("signaleur sur les courses", "stewarding"),
    ("sono, lumière, régie", "sound_lighting"),
    ("vide-grenier et brocante", "sales"),
    ("quête sur la voie publique", "street_fundraising"),
    ("cagnotte HelloAsso", "crowdfunding"),
    ("coordination des bénévoles", "volunteer_coordination"),
    ("ressources humaines, recrutement", "hr"),
    ("gestion des adhérents et cotisations", "membership"),
    ("stratégie, business plan", "strategy_consulting"),
    ("newsletter Mailchimp", "newsletter"),
    ("illustration, BD", "illustration"),
    ("podcast et radio associative", "radio_podcast"),
    ("tractage, collage d'affiches", "flyering"),
    ("plaidoyer et sensibilisation", "public_speaking"),
    ("débroussaillage, chantier nature", "natural_area_maintenance"),
    ("plantation d'arbres", "tree_planting"),
    ("zéro déchet, recyclage", "recycling"),
    ("éducation à l'environnement", "environmental_education"),
    ("comptage d'oiseaux, sciences participatives", "wildlife_survey"),
    ("rénovation énergétique", "energy_saving"),
    ("chantier participatif de rénovation", "renovation"),
    ("maçonnerie, carrelage", "masonry"),
    ("ménage, vaisselle", "cleaning"),
    ("arts plastiques avec les enfants", "arts_crafts"),
    ("guide au musée", "museum_guide"),
    ("généalogie et histoire locale", "heritage"),
    ("maquillage pour enfants", "face_painting"),
    ("arbitre de handball", "refereeing team_sports"),
    ("vélo-école", "cycling"),
    ("course à pied", "running_walking"),
    ("colonie de vacances, BAFA", "camp_supervision youth_activities"),
    ("soutien à la parentalité", "parenting_support"),
    ("accompagner des sorties scolaires", "school_outings"),
    ("orientation scolaire, Parcoursup", "career_guidance"),
    ("initiation au code pour les ados", "coding_teaching"),
    ("formateur pour adultes", "adult_training"),
    ("cours d'anglais", "english_teaching"),
    ("aide-soignante", "care_assistant"),
    ("prévention santé, réduction des risques", "health_prevention"),
    ("visites à l'hôpital", "hospital_visits"),
    ("violences conjugales", "victim_support"),
    ("visiteur de prison", "prison_visits"),
    ("hébergement d'urgence", "shelter_support"),
    ("accompagnement de personnes en situation de handicap", "disability_support"),
    ("courses pour les personnes âgées", "home_help"),
    ("appels de convivialité", "phone_befriending"),
    ("collecte de jouets", "collection_drive"),
    ("CMU / mutuelle", "health_access"),
    ("conseil d'administration", "governance"),
    ("python, java", "software_dev"),
    ("admin sys linux", "network_admin"),
    ("bureautique (Word, Excel)", "office_software"),
    ("réseaux sociaux: Instagram, TikTok", "social_media"),
    ("livraison de repas à domicile", "delivery"),
    ("chargement et déchargement", "handling"),
    ("épicerie solidaire et collecte alimentaire", "social_grocery food_collection"),
    ("distribution de repas chauds", "meal_serving"),
    ("ateliers cuisine", "nutrition"),
    ("diététicienne", "nutrition"),
    ("bricolleur", "diy_repairs"),
    ("jardinier amateur", "gardening"),
    ("comptabilitée", "accounting"),
    ("infomatique", "it_support"),
    ("manutension", "handling"),
    ("photographe amatrice", "photography"),
    ("traductrice anglais-français", "translation_english"),
    ("permi b", "driving_b"),
    ("premier secour", "first_aid"),
    ("compta / tréso", "accounting treasury"),
    ("le ménage et la cuisine", "cleaning cooking"),
    ("aide en cuisine et plonge", "cooking cleaning"),
    ("I can cook and drive", "cooking driving_b"),
    ("food bank sorting", "food_sorting"),
    ("good at web dev and graphic design", "web_development graphic_design"),
    ("first aid certified (CPR)", "first_aid"),
    ("Fluent in Spanish and French", "translation_spanish"),
    ("tutoring high school students in math", "tutoring math_tutoring"),
    ("homework help for kids", "tutoring"),
    ("ESL teacher", "english_teaching"),
    ("I love gardening, cooking and photography", "gardening cooking photography"),
    ("accounting / bookkeeping", "accounting"),
    ("social media and marketing", "social_media marketing"),
    ("IT support, computer repair", "it_support"),
    ("event setup and teardown", "event_setup"),
    ("visiting homebound seniors", "elderly_visits"),
    ("legal aid, immigration", "legal_advice immigration_law"),
    ("tax prep (VITA)", "tax_help"),
    ("fundraising events", "fundraising"),
    ("front desk / reception", "reception"),
    ("cashier at the thrift store", "cashier sales"),
    ("dog walking at the animal shelter", "animal_care"),
    ("tree planting and weeding", "tree_planting gardening"),
    ("carpentry, plumbing, electrical", "carpentry plumbing electricity"),
    ("painting murals", "painting"),
    ("sewing & knitting", "sewing knitting"),
    ("chess club", "board_games"),
    ("soccer coach", "football"),
    ("yoga instructor", "yoga"),
    ("swim instructor / lifeguard", "swimming"),
    ("translator Arabic-English", "translation_arabic translation_english"),
    ("Ukrainian and Russian speaker", "translation_ukrainian translation_russian"),
    ("sign language (ASL)", "sign_language"),
    ("Excel spreadsheets", "office_software"),
    ("SQL, dashboards", "data_analysis"),
    ("mentoring teens", "mentoring"),
    ("nurse (RN)", "nursing"),
    ("retired doctor", "medical_doctor"),
    ("counseling / mental health", "psychology"),
    ("meal delivery (meals on wheels)", "delivery"),
    ("packing care packages", "packing"),
    ("knowing how to cook", "cooking"),
    ("gardenning", "gardening"),
    ("photograpy", "photography"),
    ("acounting", "accounting"),
    ("tutorring", "tutoring"),
    ("cookng", "cooking"),
    ("translater", "translation_general"),
    ("carpentery", "carpentry"),
    ("baby siting", "childcare"),
    ("cuisine + jardinage + bricolage", "cooking gardening diy_repairs"),
    ("permis B; PSC1; BAFA", "driving_b first_aid youth_activities"),
    ("compta\ngraphisme\nphoto", "accounting graphic_design photography"),
    ("Je suis infirmière et je parle un peu espagnol", "nursing translation_spanish"),
    ("j'adore les enfants et le sport", "sport_coaching"),
    ("je n'ai pas de compétences particulières", ""),
    ("origami", ""),
    ("dispo le week-end", ""),
    ("Hello!", ""),
]


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture(scope="module")
def normaliser(taxonomy: Taxonomy) -> SkillNormaliser:
    return SkillNormaliser(taxonomy)


def test_taxonomy_shape(taxonomy: Taxonomy) -> None:
    assert len(taxonomy) >= 150
    assert 12 <= len(taxonomy.domains) <= 16
    ids = [s.id for s in taxonomy]
    assert len(ids) == len(set(ids))
    for skill in taxonomy:
        assert skill.labels["fr"] and skill.labels["en"], skill.id
        assert skill.domain in taxonomy.domains
        assert skill.synonyms.get("fr") and skill.synonyms.get("en"), skill.id
    assert taxonomy.label("driving_b", "en") == "Driving (car licence)"
    assert taxonomy.label("driving_b", "de") == taxonomy.label("driving_b", "fr")


def test_no_synonym_shared_by_two_skills(normaliser: SkillNormaliser) -> None:
    assert normaliser.ambiguous_keys() == {}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["skills"].append(dict(d["skills"][0])),
            "'food_sorting' (skills[1]): duplicate id",
        ),
        (lambda d: d["skills"][0].update(domain="nope"), "unknown domain 'nope'"),
        (
            lambda d: d["skills"][0].pop("en"),
            "skill 'food_sorting' (skills[0]): missing 'en' label",
        ),
        (lambda d: d["domains"][0].update(id="Bad Id"), "domains[0]"),
    ],
)
def test_validation_names_the_bad_entry(
    tmp_path: Path, mutate: Callable[[dict[str, Any]], object], message: str
) -> None:
    data: dict[str, Any] = {
        "version": 1,
        "domains": [{"id": "food", "fr": "Aide alimentaire", "en": "Food aid"}],
        "skills": [
            {"id": "food_sorting", "domain": "food", "fr": "Tri", "en": "Sorting", "synonyms": {}}
        ],
    }
    mutate(data)
    path = tmp_path / "skills.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(TaxonomyError, match=re.escape(message)):
        load_taxonomy(path)


def test_labelled_table_precision_recall(normaliser: SkillNormaliser) -> None:
    assert len(TABLE) >= 200
    tp = fp = fn = 0
    misses: list[str] = []
    for text, expected_ids in TABLE:
        expected, got = set(expected_ids.split()), set(normaliser.normalise(text).skill_ids)
        tp += len(got & expected)
        fp += len(got - expected)
        fn += len(expected - got)
        if got != expected:
            misses.append(f"  {text!r}: expected {sorted(expected)}, got {sorted(got)}")
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"\n{len(TABLE)} phrasings: precision={precision:.3f} recall={recall:.3f}")
    print("\n".join(misses))
    assert precision >= 0.9
    assert recall >= 0.9


def test_matches_carry_text_and_confidence(normaliser: SkillNormaliser) -> None:
    result = normaliser.normalise("je sais cuisiner, conduire (permis B) et un peu de compta")
    by_id = {m.skill_id: m for m in result.matches}
    assert by_id["accounting"].text == "compta"
    assert by_id["driving_b"].text in {"conduire", "permis B"}
    assert all(0.0 < m.confidence <= 1.0 for m in result.matches)
    typo = normaliser.normalise("jardinnage").matches[0]
    assert typo.skill_id == "gardening" and typo.confidence < 1.0
    confidences = [m.confidence for m in normaliser.normalise("cuisinne et compta").matches]
    assert confidences == sorted(confidences, reverse=True)


def test_free_tags_keep_unknown_words(normaliser: SkillNormaliser) -> None:
    result = normaliser.normalise("origami")
    assert result.matches == () and result.free_tags == ("origami",)
    mixed = normaliser.normalise("Cuisine, origami et macramé")
    assert mixed.skill_ids == ("cooking",)
    assert "origami" in mixed.free_tags and "macramé" in mixed.free_tags


def test_empty_text_gives_nothing(normaliser: SkillNormaliser) -> None:
    for text in ("", "   ", "\n\t", "je sais", "et, ou /"):
        assert normaliser.normalise(text) == NormalisedSkills((), ())


def test_hostile_text_does_not_crash(normaliser: SkillNormaliser) -> None:
    rng = random.Random(7)
    alphabet = "abcdefghijklmnopqrstuvwxyzéèàç  \x00\x07\x1b\u200b\u202e🍕🚐👩‍🍳,;/+\n'\""
    samples = [
        "".join(rng.choice(alphabet) for _ in range(5000)),
        "'; DROP TABLE skills; -- " * 200,
        "cuisine " * 1000,
        "\x00" * 5000,
        "🥕" * 5000,
        "Robert'); SELECT * FROM users WHERE 1=1; --",
    ]
    for text in samples:
        result = normaliser.normalise(text)
        assert isinstance(result, NormalisedSkills)
        assert len({m.skill_id for m in result.matches}) == len(result.matches)
    assert normaliser.normalise("cuisine " * 1000).skill_ids == ("cooking",)
    assert normaliser.suggest_for_mission("🚐" * 3000, "\x00; DROP TABLE x;" * 300) == ()


def test_threshold_sends_weak_matches_to_free_tags(taxonomy: Taxonomy) -> None:
    strict = SkillNormaliser(taxonomy, threshold=0.97)
    result = strict.normalise("jardinnage, compta")
    assert result.skill_ids == ("accounting",)
    assert result.free_tags == ("jardinnage",)
    with pytest.raises(ValueError):
        SkillNormaliser(taxonomy, threshold=0)


def test_suggest_for_mission(normaliser: SkillNormaliser) -> None:
    food = normaliser.suggest_for_mission("Help sort and pack food at our pantry")
    assert food and food[0].skill_id == "food_sorting"
    tutor = normaliser.suggest_for_mission("Tutor high school students in math")
    assert {"tutoring", "math_tutoring"} <= {m.skill_id for m in tutor}
    french = normaliser.suggest_for_mission(
        "Maraude du mardi soir", "Distribution de repas chauds et écoute des personnes à la rue."
    )
    assert {"street_outreach", "meal_serving"} <= {m.skill_id for m in french}
    gala = normaliser.suggest_for_mission("Gala", "cuisine, photo, compta, vidéo, bar", limit=2)
    assert len(gala) == 2 and gala[0].confidence >= gala[1].confidence


def test_speed_10000_phrases(taxonomy: Taxonomy) -> None:
    rng = random.Random(11)
    noise = ["bénévole", "le samedi", "origamix", "trucs", "qwertz", "souvent", "volunteer"]
    phrases = [
        f"{rng.choice(TABLE)[0]}, {rng.choice(noise)} {rng.randrange(10**6)} et {rng.choice(TABLE)[0]}"
        for _ in range(10_000)
    ]
    fold.cache_clear()
    stem.cache_clear()
    normaliser = SkillNormaliser(taxonomy)  # cold caches
    start = time.perf_counter()
    for phrase in phrases:
        normaliser.normalise(phrase)
    elapsed = time.perf_counter() - start
    print(f"\nnormalised 10,000 phrases in {elapsed:.2f}s ({10_000 / elapsed:,.0f} phrases/s)")
    assert elapsed < 10.0


def test_nyc_missions_get_suggestions(normaliser: SkillNormaliser) -> None:
    if not NYC_CSV.exists():
        pytest.skip(f"reference data absent: {NYC_CSV}")
    with NYC_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 665
    suggested = [(r, normaliser.suggest_for_mission(r["title"], r["summary"])) for r in rows]
    covered = sum(1 for _, s in suggested if s)
    print(f"\nNYC missions with at least one suggested skill: {covered}/{len(rows)}")
    for row, skills in random.Random(3).sample(suggested, 20):
        print(f"  {row['title'].strip()[:60]!r}: {[m.skill_id for m in skills]}")
    assert covered >= 0.6 * len(rows)
