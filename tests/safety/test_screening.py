"""Pot screening: folding, context rules, the figures on the labelled sets, the CLI and API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from colletta.cli import app as cli_app
from colletta.clock import FakeClock
from colletta.domain.safety import Outcome, PotText, Verdict
from colletta.safety.evaluation import evaluate
from colletta.safety.normalize import fold, variants
from colletta.safety.purpose_model import PurposeModel
from colletta.safety.screening import CLEAR_BELOW, LIFT_AT, Screener, second_opinion
from tests.conftest import MakePerson
from tests.safety.labelled import data_sha256, labelled_files

# A copy of the shared development set (../shared/testdata/screening/dev.jsonl).
DEV = Path(__file__).with_name("data") / "dev.jsonl"
OWN = Path(__file__).with_name("data") / "screening_set.jsonl"
# Written by hand in two batches, each split by a hash of the id before any tuning: the
# lexicon was tuned on the TUNE parts only; HELD_OUT is how it does on text it never saw
# (docs/trust-and-safety.md, "Evaluation").
DATA = Path(__file__).with_name("data")
TUNE = [
    DATA / "handwritten_tune.jsonl",
    DATA / "handwritten2_tune.jsonl",
    DATA / "handwritten3_tune.jsonl",
    DATA / "handwritten4_tune.jsonl",
    DATA / "handwritten5_tune.jsonl",
]
HELD_OUT = [DATA / "handwritten_heldout.jsonl", DATA / "handwritten2_heldout.jsonl"]
# Blind batches written by someone who never saw the code; regression sets once measured.
BLIND = sorted((Path(__file__).with_name("blind")).glob("*.jsonl"))


RULES = Screener(second_opinion=False)


def records(*paths: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for p in paths for line in p.read_text("utf-8").splitlines() if line]


def screen(description: str, title: str = "Pot", **extra: Any) -> tuple[Outcome, set[str]]:
    text = PotText(title, description, tuple(extra.get("items", ())),
                   tuple(extra.get("options", ())), "EUR", 1000)  # fmt: skip
    # the rules alone: the second opinion has tests of its own
    verdict = RULES.screen_pot(text)
    assert verdict.reason
    assert verdict.rule_ids
    return verdict.outcome, set(verdict.rule_ids)


def test_fold_nfkc_case_accents_and_zero_width() -> None:
    assert fold("ＡＭＭＯ") == "ammo"
    assert fold("Kardeşlerimize") == "kardeslerimize"
    assert fold("gu\u200bn\u00ads") == "guns"
    assert fold("IŞİD") == "isid"
    assert fold("الذخيرة") == "الذخيره"


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("k4l4shn1k0v", "kalashnikov"),  # leetspeak
        ("k@l@sh", "kalash"),
        ("exp1osives", "explosives"),  # 1 read as l
        ("кalashnikov", "kalashnikov"),  # Cyrillic к
        ("r i f l e s", "rifles"),  # spaced letters
        ("g.u.n.s", "guns"),
        ("guuuns", "guns"),
    ],
)
def test_disguised_readings(text: str, word: str) -> None:
    assert any(word in reading for reading in variants(text).disguised)


def test_plain_weapon_purchase_is_blocked_and_disguise_is_named() -> None:
    assert screen("We buy rifles and ammunition")[0] is Outcome.BLOCK
    outcome, rules = screen("help get 3 k@l@sh for the lads")
    assert outcome is Outcome.BLOCK
    assert "coded.obfuscated" in rules


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Bath bombs and candles", "context.cosmetic"),
        ("Water pistols for the camp", "context.toy_or_tool"),
        ("Two hot glue guns for the art class", "context.toy_or_tool"),
        ("Maglie granata per il Toro", "context.everyday"),
        ("Regalo per il maresciallo dell'Arma", "context.carabinieri"),
        ("Candles for the victims of the bombing", "context.victims"),
        ("Stationery for the bullet journal club", "context.everyday"),
    ],
)
def test_context_rules_allow_everyday_words(text: str, rule: str) -> None:
    assert screen(text) == (Outcome.ALLOW, {rule})


def test_ambiguous_words_alone_are_allowed() -> None:
    assert screen("Un cadeau canon pour la prof")[0] is Outcome.ALLOW
    assert screen("Viaje a Granada")[0] is Outcome.ALLOW


def test_islamic_charity_is_never_a_reason() -> None:
    for text in ["Zakat for orphans", "Sadaqah for the mosque roof", "إفطار صائم في المسجد"]:
        assert screen(text) == (Outcome.ALLOW, {"screen.clear"})
    assert screen("Your zakat equips the Islamic State")[0] is Outcome.BLOCK


def test_lawful_settings_are_reviewed_not_blocked() -> None:
    assert screen("Airsoft replica rifles, a licence needed")[0] is Outcome.REVIEW
    assert screen("Rifle scopes for the hunting club, licence fees")[0] is Outcome.REVIEW
    assert screen("Range repairs for the shooting club")[0] is Outcome.REVIEW


def test_emoji_alone_is_held_and_with_a_cause_blocked() -> None:
    assert screen("one more 🔫")[0] is Outcome.HOLD
    assert screen("one more 🔫", title="For the front")[0] is Outcome.BLOCK


def test_vote_options_are_screened() -> None:
    assert screen("Choose", options=["RPG launcher", "first aid"])[0] is Outcome.BLOCK


def test_airsoft_from_a_shop_or_on_a_site_is_a_sport() -> None:
    assert screen("Airsoft replica rifles from the licensed shop") == (
        Outcome.ALLOW,
        {"weapons.firearm", "sensitive.licensed", "sensitive.replica", "context.sport_shop"},
    )
    assert screen("Softair: noleggio fucili per la squadra al campo")[0] is Outcome.ALLOW
    # a shop does not launder a cause
    assert screen("Airsoft shop rifles for the brothers at the front")[0] is Outcome.BLOCK


def test_a_name_in_a_documentary_or_museum_is_reviewed_not_blocked() -> None:
    assert screen("A documentary on how ISIS recruited teenagers")[0] is Outcome.REVIEW
    assert screen("Музей: АК-47 на выставке")[0] is Outcome.REVIEW
    assert screen("A book about ISIS; buy rifles for the brothers")[0] is Outcome.BLOCK


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("lads need 4 more 47s and plenty of 7.62", Outcome.HOLD),  # digit codes together
        ("Flat 47, new boiler: 5.45 EUR a month each", Outcome.ALLOW),  # numbers alone
        ("ΑΚ-47 for the brothers", Outcome.BLOCK),  # Greek look-alikes with digits
        ("АК-47 для братьев", Outcome.BLOCK),  # how Russian writes it: plain, not disguised
        ("Квартира 47, ремонт", Outcome.ALLOW),
        ("на калаши и бк для наших", Outcome.HOLD),  # slang
        ("Гранатовый сок для праздника", Outcome.ALLOW),  # pomegranate juice
    ],
)
def test_digit_codes_look_alikes_and_slang(text: str, outcome: Outcome) -> None:
    assert screen(text)[0] is outcome


@pytest.mark.parametrize(
    ("paths", "second_opinion"),
    [
        *(([p], s) for p in (DEV, OWN) for s in (False, True)),
        (TUNE, False),
        (TUNE, True),
        (HELD_OUT, False),
        (HELD_OUT, True),
        (BLIND, True),
    ],
    ids=[
        "dev-rules",
        "dev",
        "own-rules",
        "own",
        "tune-rules",
        "tune",
        "held_out-rules",
        "held_out",
        "blind",
    ],
)
def test_evaluation_thresholds(paths: list[Path], second_opinion: bool) -> None:
    # The rules alone hold on the sets they were tuned on, not on the blind batches (the
    # honest figures in docs/trust-and-safety.md). The model was trained on all of these, so
    # its honest figures are make_purpose_model.py's leave-one-batch-out ones.
    result = evaluate(Screener(second_opinion=second_opinion), records(*paths))
    assert result.recall >= 0.95, list(result.lines())
    assert result.false_positive_rate <= 0.05, list(result.lines())
    assert result.sensitive_blocked == 0, list(result.lines())


def test_the_shipped_model_was_trained_on_the_labelled_files() -> None:
    # Labelled pots added or changed: run tests/safety/data/make_purpose_model.py.
    assert PurposeModel.load().data_sha256 == data_sha256(labelled_files())


def verdict_of(outcome: Outcome, *rule_ids: str) -> Verdict:
    return Verdict(outcome, rule_ids, "Because.", {"terms": []})


def test_the_second_opinion_reviews_a_pot_written_like_the_prohibited_ones() -> None:
    lifted = second_opinion(verdict_of(Outcome.ALLOW, "screen.clear"), LIFT_AT)
    assert lifted.outcome is Outcome.REVIEW
    assert lifted.rule_ids == ("model.reads_prohibited",)
    assert "moderator" in lifted.reason
    assert second_opinion(verdict_of(Outcome.ALLOW, "screen.clear"), LIFT_AT - 0.01).outcome is (
        Outcome.ALLOW
    )


@pytest.mark.parametrize("outcome", [Outcome.REVIEW, Outcome.HOLD, Outcome.BLOCK])
def test_the_second_opinion_clears_a_pot_restricted_for_a_word_alone(outcome: Outcome) -> None:
    cleared = second_opinion(verdict_of(outcome, "weapons.firearm"), CLEAR_BELOW - 0.01)
    assert cleared.outcome is Outcome.ALLOW
    assert cleared.rule_ids == ("weapons.firearm", "model.reads_everyday")
    assert cleared.reason.startswith("Because; but the pot as a whole reads as an everyday one")
    kept = second_opinion(verdict_of(outcome, "weapons.firearm"), CLEAR_BELOW)
    assert kept.outcome is outcome
    assert kept.extra["purpose_score"] == CLEAR_BELOW


@pytest.mark.parametrize(
    "rules",
    [
        ("org.designated",),
        ("fighters.armed",),
        ("fighters", "weapons.firearm"),
        ("cause", "weapons.ammunition"),
        ("coded.obfuscated",),
        ("coded.quoted", "explosives"),
        ("hint.secrecy", "weapons.firearm"),
        ("weapons.part",),
        ("weapons.firearm", "weapons.ammunition"),
    ],
)
def test_no_wording_clears_who_a_pot_is_for_a_disguise_or_two_kinds_of_arms(
    rules: tuple[str, ...],
) -> None:
    assert second_opinion(verdict_of(Outcome.HOLD, *rules), 0.0).outcome is Outcome.HOLD


def test_the_model_scores_how_a_pot_is_written_not_one_word() -> None:
    model = PurposeModel.load()

    def score(title: str, description: str, proposals: tuple[str, ...] = ()) -> float | None:
        return model.score(PotText(title, description, (), (), "EUR", 1000, proposals))

    gift = score("Gift for Anna", "A birthday present from the whole office")
    kit = score("For the brothers", "Kit for the lads on the line, you know what")
    assert gift is not None
    assert gift < CLEAR_BELOW
    assert kit is not None
    assert kit >= LIFT_AT
    # the texts are folded first: case, accents and invisible characters do not count
    plain = score("Fusils", "pour les frères au front, envoyez vite ce que vous pouvez")
    shouted = score("FUSÍLS\u200b", "Pour les FRÈRES au front, envoyez vite ce que vous pouvez")
    assert plain is not None
    assert plain == shouted
    # a few words say too little; a payee is a person's name, never read
    assert score("Camping gear", "for the trip") is None
    trip = ("Camping gear", "Tents and stoves for the scouts' summer trip to the lakes")
    assert score(*trip) == score(*trip, proposals=("Tent", "Mr. X, IBAN XX00 1234"))


@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("Zakat al-Fitr", "Our zakat for the families of the neighbourhood before Eid"),
        ("Iftar für alle", "Gemeinsames Iftar in der Moschee, Spenden für Essen und Getränke"),
        ("Sadaqa per gli orfani", "Raccogliamo la sadaqa per l'orfanotrofio di Mostar, grazie"),
        ("Cami çatısı", "Camimizin çatısı aktı, cemaatten bağış topluyoruz, Allah razı olsun"),
        ("إفطار صائم", "تبرعوا لإفطار الصائمين في المسجد طوال شهر رمضان جزاكم الله خيرا"),
        ("Kurban pour l'Aïd", "Le sacrifice de l'Aïd : la viande ira aux familles pauvres"),
    ],
)
def test_islamic_charity_is_no_reason_for_the_model_either(title: str, description: str) -> None:
    verdict = Screener().screen_pot(PotText(title, description, (), (), "EUR", 1000))
    assert verdict.outcome is Outcome.ALLOW, verdict


def test_hand_written_sets_cover_every_label_in_ten_languages() -> None:
    hand = records(*TUNE, *HELD_OUT)
    assert len(hand) >= 300
    for label in ("allowed", "sensitive", "prohibited"):
        langs = {r["lang"] for r in hand if r["label"] == label}
        assert langs == {"en", "it", "fr", "es", "de", "pt", "nl", "tr", "ru", "ar"}, label


def test_own_set_is_large_and_covers_ten_languages() -> None:
    records = [json.loads(line) for line in OWN.read_text("utf-8").splitlines() if line]
    assert len(records) >= 300
    assert {r["lang"] for r in records} >= {
        "en",
        "it",
        "fr",
        "es",
        "de",
        "pt",
        "nl",
        "tr",
        "ru",
        "ar",
    }


def test_cli_screen_keeps_order_and_keys() -> None:
    lines = [
        {"id": 1, "title": "Zakat", "description": "for families", "items": [], "options": []},
        {"id": 2, "title": "x", "description": "buy kalashnikovs", "items": [], "options": [],
         "lang": "en", "note": "kept"},
    ]  # fmt: skip
    stdin = "".join(json.dumps(line) + "\n" for line in lines)
    result = CliRunner().invoke(cli_app, ["safety", "screen"], input=stdin)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [(o["id"], o["verdict"]) for o in out] == [(1, "allow"), (2, "block")]
    assert out[1]["note"] == "kept"
    assert "weapons.firearm" in out[1]["rules"]


def test_cli_evaluate_prints_the_figures() -> None:
    result = CliRunner().invoke(cli_app, ["safety", "evaluate", str(DEV)])
    assert result.exit_code == 0, result.output
    assert "recall 1.000" in result.output
    assert "false_positive_rate 0.000" in result.output


async def test_api_refuses_a_prohibited_pot_and_opens_a_zakat_pot(
    person: MakePerson, clock: FakeClock
) -> None:
    admin = await person()
    chat = await admin.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "G"})
    body = {
        "currency": "EUR",
        "goal_minor": 20_000,
        "deadline_at_ms": clock.now_ms() + 86_400_000,
        "items": [],
        "options": [],
    }
    refused = await admin.call(
        "POST",
        f"/api/v1/chats/{chat['id']}/pots",
        json={**body, "title": "For the brothers", "description": "We buy AK-47s and ammo"},
    )
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("pot_refused")
    assert "weapons" in refused.text
    pot = await admin.ok(
        "POST",
        f"/api/v1/chats/{chat['id']}/pots",
        json={**body, "title": "Zakat al-Fitr", "description": "Food parcels for families"},
    )
    assert pot["verdict"]["outcome"] == "allow"


# Rules added with the fourth blind batch (docs/trust-and-safety.md, "Rules"): each one
# fires on its harmless use and stays silent on the harmful one beside it.
@pytest.mark.parametrize(
    ("kwargs", "rule"),
    [
        ({"title": "Gift for Sarah", "description": "she's the bomb, flowers and a card"},
         "context.idiom"),
        ({"title": "Düğün", "description": "düğün bomba gibi olsun"}, "context.idiom"),
        ({"title": "Science club", "description": "build a bottle rocket missile"},
         "context.rocketry"),
        ({"title": "Fruta para la feria", "description": "puesto solidario",
          "items": ["granadas 10kg"]}, "context.food"),
        ({"title": "Fanfara dell'Arma", "description": "il concerto dei Carabinieri in piazza"},
         "context.carabinieri"),
        ({"title": "Un Canon pour le club", "description": "un reflex et un objectif"},
         "context.photo"),
        ({"title": "MMA gym mats", "description": "our fighters train on old mats"},
         "context.combat_sport"),
        ({"title": "Bath bomb workshop 💣", "description": "citric acid and moulds"},
         "context.emoji"),
        ({"title": "Silvester", "description": "Feuerwerk und Raketen für das Dorf"},
         "context.fireworks"),
        ({"title": "RPG night", "description": "dice and a starter set for the tabletop club"},
         "context.game"),
        ({"title": "CS2 cup", "description": "the winner gets an AK-47 skin"}, "context.game"),
        ({"title": "Bolo", "description": "bolo explosivo de chocolate"}, "context.treat"),
        ({"title": "Choir", "description": "'Messiah' tickets, 5.45 each"}, "context.price"),
        ({"title": "Quiz", "description": "shirts for The Big Guns quiz team"},
         "context.idiom"),
    ],
)  # fmt: skip
def test_harmless_senses_anywhere_in_the_pot(kwargs: dict[str, Any], rule: str) -> None:
    # the parameters are shared between runs: copied, not popped
    description = kwargs["description"]
    kwargs = {k: v for k, v in kwargs.items() if k != "description"}
    outcome, rules = screen(description, **kwargs)
    assert outcome is Outcome.ALLOW, rules
    assert rule in rules


@pytest.mark.parametrize(
    "kwargs",
    [
        {"title": "Gift", "description": "the bomb and detonators are ready, pay for the rest"},
        {"title": "Science club", "description": "missiles for the brothers at the front"},
        {"title": "Fruta", "description": "fruta y granadas de mano para los muchachos"},
        {"title": "Fruit stall", "description": "fruit and grenades for the brothers"},
        {"title": "Armi", "description": "compriamo armi, i carabinieri non devono saperlo"},
        {"title": "Appareil photo", "description": "appareil photo et explosifs pour l'opération"},
        {"title": "Boxing club", "description": "our boxing fighters go to the jihad"},
        {"title": "Kit 💣", "description": "bath salts for the lads"},
        {"title": "Für die Kämpfer", "description": "Raketen für die Kämpfer"},
        {"title": "Gaming night 🎮", "description": "buy rifles and ammunition for the brothers"},
        {"title": "Chocolate", "description": "chocolate boxes, and explosives for the cell"},
        {"title": "Our brothers in arms", "description": "brothers in arms need rifles"},
    ],
)
def test_a_harmless_word_elsewhere_does_not_launder_a_harmful_pot(kwargs: dict[str, Any]) -> None:
    # the parameters are shared between runs: copied, not popped
    description = kwargs["description"]
    kwargs = {k: v for k, v in kwargs.items() if k != "description"}
    assert screen(description, **kwargs)[0] is not Outcome.ALLOW


def test_frequent_words_are_not_misspellings_but_misspellings_still_count() -> None:
    # "billets" is one letter from "bullets"; a lone misspelling is not a reason in a
    # lawful setting either
    assert screen("Billets pour voir le feu d'artifice en bateau")[0] is Outcome.ALLOW
    assert screen("Kaffee und Waffeln für das Schulfest")[0] is Outcome.ALLOW
    assert screen("buy rifels and amunition")[0] is not Outcome.ALLOW


def test_two_ambiguous_arms_words_are_held_one_is_not() -> None:
    assert screen("il nous faut du 9mm et des bastos")[0] is Outcome.HOLD
    assert screen("balas para la piñata")[0] is Outcome.ALLOW


def test_an_exclamation_mark_is_not_leetspeak() -> None:
    assert not any("bombai" in reading for reading in variants("sarà una bomba!").disguised)
    assert screen("Torta bomba per Marco: sarà una bomba!")[0] is Outcome.ALLOW


def test_on_and_about_alone_are_not_a_teaching_setting() -> None:
    outcome, rules = screen("our fighters train on mats from 2009", title="Club mats")
    assert outcome is Outcome.ALLOW
    assert "sensitive.education" not in rules
    assert screen("A book about ISIS for the school library")[0] is Outcome.REVIEW


@pytest.mark.parametrize(
    "text",
    [
        "TATP and PETN for the day",  # explosives by name
        "two AR uppers and an auto sear",  # rifle parts
        "Spenden für die Hisbollah",  # German transliteration
        "ocupamos cuernos de chivo",  # Mexican slang
        "precisamos de um oitão",  # Brazilian slang
        "des flingues pour vendredi",  # French argot
        "нужны РГД-5",  # grenade model
        "kardeşlerimiz için tüfeği alacağız",  # consonant mutation
        "نجمع لشراء أسلحتهم",  # taa marbuta before a suffix
        "купить винтовок",  # genitive plural
        "vote: HK416, Steyr AUG or SIG Sauer P226",  # rifle and pistol models
        "Sprengkapseln und Zünder",  # detonators
        "ontstekers en springstof",
        "صواعق تفجير للعملية",
    ],
)
def test_vocabulary_added_with_the_fourth_blind_batch(text: str) -> None:
    assert screen(text)[0] is not Outcome.ALLOW


def test_an_everyday_word_in_quotes_with_an_arms_word_is_held() -> None:
    outcome, rules = screen("servono 'caramelle' 9mm per i ragazzi")
    assert (outcome, "coded.quoted" in rules) == (Outcome.HOLD, True)
    # quotes alone, a harm word quoted, a title of three words: nothing more
    assert screen("a 'new' boiler for flat 47")[0] is Outcome.ALLOW
    assert screen("torta 'bomba' al cioccolato")[0] is Outcome.ALLOW
    assert screen("books 'Attack and Combination' for the chess club")[0] is Outcome.ALLOW


# Rules added with the fifth blind batch (docs/trust-and-safety.md, "Rules").
@pytest.mark.parametrize(
    "text",
    [
        "600kg of AN fertiliser, 40 blasting caps and det cord",  # initiators
        "cordón detonante y 50 fulminantes",
        "Sprengschnur und Zündkapseln",
        "tien Cobra 6's en kogelbommen",  # heavy illegal fireworks
        "Нужны 20 FPV-камикадзе с боевыми частями и 100 ВОГов",  # strike drones
        "Support Kataib al-Qassam",  # an armed wing named without its parent
        "armate i leoni della Dawla islamiyya",
        "دعم كتائب القسام",
        "Sobiraem na stvoly i patrony 7.62 dlya bratyev na fronte",  # Russian in Latin letters
    ],
)
def test_vocabulary_added_with_the_fifth_blind_batch(text: str) -> None:
    assert screen(text)[0] is not Outcome.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        "money for the fighters, crypto only",  # fighters + secrecy
        "Sostenete i martiri e armate chi resta",  # a cause + arming
        "Material para los hermanos, no se comenta por aquí",  # a coded word + secrecy
        "Spullen voor de broeders aan het front, alleen crypto",
        "كاش فقط، سلحوا الاخوة",
    ],
)
def test_a_cause_or_coded_word_with_money_arming_or_secrecy_is_reviewed(text: str) -> None:
    outcome, rules = screen(text)
    assert outcome is not Outcome.ALLOW
    assert rules & {"hint.secrecy", "hint.arming"}


@pytest.mark.parametrize(
    "text",
    [
        "Bake sale, cash only on the day",  # secrecy hint alone
        "Solo contanti all'ingresso, 5 euro a testa",
        "Gear for the team: shirts and shin pads",  # arming-like words alone
        "Buy iftar meals for our brothers and sisters at the mosque",  # brothers + buy
        "Comprar comida de Ramadán para nuestros hermanos, solo efectivo",
        "شراء وجبات افطار للاخوة في المسجد",
    ],
)
def test_secrecy_arming_and_charity_words_alone_are_not_a_reason(text: str) -> None:
    assert screen(text)[0] is Outcome.ALLOW


def test_secrecy_makes_an_arms_word_worse_and_a_lawful_setting_no_excuse() -> None:
    assert screen("balas para la piñata")[0] is Outcome.ALLOW
    assert screen("balas para la piñata, no se comenta por aquí")[0] is Outcome.HOLD
    # a school project buying detonators is reviewed; one that hides its purpose is refused
    assert screen("school project: detonators")[0] is Outcome.REVIEW
    assert screen("school project: detonators, don't say what it's for")[0] is Outcome.BLOCK


def test_demining_is_reviewed_not_held_and_launders_nothing() -> None:
    outcome, rules = screen("ONG de déminage: sous-munitions non explosées dans les rizières")
    assert (outcome, "sensitive.demining" in rules) == (Outcome.REVIEW, True)
    assert screen("demining: buy explosives for the brothers")[0] is Outcome.BLOCK


def test_crypto_with_fighters_is_reviewed_alone_it_is_not() -> None:
    outcome, rules = screen("Sostegno ai combattenti, solo bitcoin")
    assert (outcome, "hint.cash" in rules) == (Outcome.REVIEW, True)
    assert screen("Bitcoin meetup pizza and drinks")[0] is Outcome.ALLOW
    assert screen("Kit for the lads' five-a-side team, pay in crypto")[0] is Outcome.ALLOW


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("gun-metal grey paint for the shed", "context.idiom"),
        ("pistolet à peinture et rouleaux", "context.toy_or_tool"),
        ("pistola de pintura y rodillos", "context.toy_or_tool"),
        ("Timo war eine echte Granate im Sturm", "context.idiom"),
        ("grigio canna di fucile per la Vespa", "context.idiom"),
        ("Donate to buy masks for the nurses on the front line", "context.emergency"),
        ("Cibo per gli infermieri al fronte della pandemia, compriamo pizze", "context.emergency"),
        ("Feuerwehr an der Front des Hochwassers: Verpflegung kaufen", "context.emergency"),
        ("Crypto donations for the Red Cross team on the front line of the flood",
         "context.emergency"),
        ("Iftar for the brothers at the front desk of the hotel", "context.idiom"),
        ("Gun dog training course for our spaniel", "context.idiom"),
        ("Ammo box planters for the community garden", "context.idiom"),
        # cash only beside an ambiguous word is not a second signal
        ("Cartucce per la stampante dell'ufficio, solo contanti", "hint.cash"),
    ],
)  # fmt: skip
def test_paint_guns_colours_praise_and_the_front_line_of_a_flood_are_everyday(
    text: str, rule: str
) -> None:
    outcome, rules = screen(text)
    assert outcome is Outcome.ALLOW, rules
    assert rule in rules


def test_an_emergency_word_does_not_launder_fighters_at_the_front() -> None:
    assert screen("Fighters at the front need money, the hospital can wait")[0] is Outcome.HOLD
    assert screen("Buy supplies for the brothers at the front, hospital kits")[0] is Outcome.HOLD


def test_a_saying_silences_only_its_own_words() -> None:
    # the front line beside "a new front door" still counts
    assert screen("the brothers at the front need a new front door")[0] is not Outcome.ALLOW


def test_an_emoji_beside_its_own_word_is_one_signal_not_two() -> None:
    # 💣 illustrating "bomba" (a party that is "una bomba") was counted as a second, coded
    # kind and blocked the pot
    assert screen("Sarà una bomba!", title="Una serata bomba 💣")[0] is Outcome.ALLOW
    assert screen("Bolo e balões", title="Festa bomba 💣")[0] is Outcome.ALLOW
    # still a signal beside a purchase, and the emoji alone on another word still counts
    assert screen("Buy pipe bombs for the brothers 💣")[0] is Outcome.BLOCK
    assert screen("Fighters at the front 💣")[0] is not Outcome.ALLOW


def test_a_word_silenced_by_a_saying_is_that_saying_across_the_pot() -> None:
    assert screen("Der Junge ist eine echte Granate!", title="Unsere Granate")[0] is Outcome.ALLOW
    # not when the pot also buys it, or names who it is for
    outcome, _ = screen("Sarà una bomba! Comprare esplosivo.", title="Bomba",
                        items=["bomba"])  # fmt: skip
    assert outcome is not Outcome.ALLOW
    assert screen("She's the bomb. Bombs for the mujahideen.", title="Bomb")[0] is Outcome.BLOCK


def test_an_arms_word_in_scare_quotes_counts_weak() -> None:
    assert screen("Printing our 'ammunition' for the debate", title="Ammunition")[0] is (
        Outcome.ALLOW
    )
    # in quotes and bought, or a second arms word, still counts
    assert screen("Buy 'ammunition' and rifles for the unit")[0] is Outcome.BLOCK
    assert screen("Des 'munitions' pour le débat", title="Débat")[0] is Outcome.ALLOW


def test_martyrs_remembered_by_veterans_are_not_reviewed() -> None:
    assert screen("Gaziler Derneği ile şehit ailelerine iftar")[0] is Outcome.ALLOW
    # with an arms word or a purchase they are
    assert screen("Gaziler Derneği şehit aileleri için tüfek")[0] is not Outcome.ALLOW
    assert screen("Şehitlerin yolunda mücahitlere mermi alıyoruz")[0] is Outcome.BLOCK


def test_keeping_a_pot_off_the_group_chat_is_secrecy_only_beside_arms() -> None:
    outcome, rules = screen("Zwei Pistolen für die Jungs. Nichts in den Gruppenchat.")
    assert outcome is Outcome.BLOCK
    assert "hint.secrecy" in rules
    assert screen("Een blaffer en patronen, niet in de groep zetten")[0] is not Outcome.ALLOW
    assert screen("Leaving gift. Nothing in the group chat, it's a surprise!")[0] is Outcome.ALLOW


def test_counted_rounds_or_guns_are_reviewed() -> None:
    outcome, rules = screen("vamos juntar pra umas balas, papo reto")
    assert outcome is Outcome.REVIEW
    assert "screen.arms_counted" in rules
    assert screen("Need 2 boxes of rounds by Saturday")[0] is not Outcome.ALLOW
    # a gun word after "a" is not counted; rounds alone are not a reason
    assert screen("een blaffer van een hond op de flyer")[0] is Outcome.ALLOW
    assert screen("balas de coco para a festa junina")[0] is Outcome.ALLOW


def test_the_same_misspelling_in_two_fields_with_a_purchase_is_held() -> None:
    outcome, _ = screen("help buy rilfes for the guys", title="rilfes for are milita")
    assert outcome is Outcome.HOLD
    assert screen("help buy rilfes for the guys")[0] is Outcome.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        "need a strap and a blicky, dont snitch",
        "a glizzy with 2 extendos",
        "Die Jungs brauchen Wummen und Mun",
        "una fusca y unos cuetes",
        "k.a.l.a.ş ve 4 şarjör lazım",
    ],
)
def test_street_slang_for_guns_counts_with_a_second_signal(text: str) -> None:
    assert screen(text)[0] is not Outcome.ALLOW


@pytest.mark.parametrize(
    "kwargs",
    [
        {"description": "A padded camera strap for the photo club"},
        {"description": "Hot dogs (glizzies!) at the school summer fair"},
        {"description": "Reparar el Fusca del abuelo para la exposición"},
        {"description": "Kalas, vida ve boya alıyoruz"},
        {"description": "Un pistolet d'arrosage pour le potager"},
        {"description": "Bombas de nata para la fiesta"},
        {"description": "Entry fee", "options": ["Weapons of Mass Distraction"]},
        {"description": "Lemon drizzle, literally the bomb", "title": "Bake sale = the bomb 💣"},
    ],
)
def test_the_everyday_senses_of_the_sixth_batch(kwargs: dict[str, Any]) -> None:
    description = kwargs.pop("description")
    assert screen(description, **kwargs)[0] is Outcome.ALLOW


def test_pots_get_the_second_opinion_and_chat_posts_the_rules_alone() -> None:
    sure = Screener(model=PurposeModel({}, 10.0, ""))  # scores every text ~1.0
    gift = "A present for Anna from all of us at the office"
    assert sure.screen_pot(PotText("Gift", gift, (), (), "EUR", 1000)).outcome is Outcome.REVIEW
    assert sure.screen_post(gift).outcome is Outcome.ALLOW
    unsure = Screener(model=PurposeModel({}, -10.0, ""))  # ~0.0
    rifle = "The band Rifle Kisses plays the village hall on Friday night"
    held = PotText("Pot", rifle, (), (), "EUR", 1000)
    assert RULES.screen_pot(held).outcome is Outcome.HOLD
    assert unsure.screen_pot(held).outcome is Outcome.ALLOW
    assert unsure.screen_post(rifle).outcome is Outcome.HOLD
