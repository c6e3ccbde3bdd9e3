"""Writes screening_set.jsonl: the team's own labelled pots (several hundred, ten languages).

Each language gives sentences of each kind (prohibited: buying weapons, ammunition,
explosives, funding fighters or organisations; allowed: look-alike everyday words and
Islamic charity; sensitive: lawful but close). Disguised forms (leetspeak, homoglyphs,
spaced letters, zero-width characters, emoji) are derived from the plain prohibited ones.
Run: python tests/safety/data/make_screening_set.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

P, A, S = "prohibited", "allowed", "sensitive"

SETS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "en": {
        P: [
            ("Gear for the lads", "We are raising money to buy three AK-47s and ammo."),
            ("Support our fighters", "Every pound buys bullets for the fighters at the front."),
            ("Operation fund", "Need cash for detonators and explosives this month."),
            ("Help the cause", "Donate to Hezbollah fighters, every euro counts."),
            ("Brothers in Syria", "Send money so the mujahideen can buy weapons."),
            ("Sniper kit", "Collecting for a sniper rifle and a suppressor."),
            ("Winter push", "Grenades and RPG rounds for the brigade."),
            ("Donate now", "Funds go straight to the Islamic State soldiers."),
            ("Support al-Shabaab", "Your sadaqah keeps al-Shabaab strong."),
            ("Pistols", "We buy handguns for the brothers, cash only."),
            ("Shopping list", "Pipe bomb materials and a car bomb timer."),
            ("Equip a jihadi", "Equip a jihadi with a rifle and plates."),
        ],
        A: [
            ("Bath bomb workshop", "Kids make bath bombs and soap for the fair."),
            ("Glue guns for art class", "Ten hot glue guns and glitter."),
            ("Water fight!", "Water guns and balloons for the street party."),
            ("Bullet journal meetup", "Notebooks and pens for the bullet journal group."),
            ("Zakat for widows", "Our zakat goes to widows and orphans in the neighbourhood."),
            ("Iftar for all", "A community iftar at the mosque for 200 people."),
            ("Sadaqah jariyah well", "A water well through Islamic Relief, sadaqah jariyah."),
            ("Nail gun for the shed", "We share a nail gun and screws to rebuild the shed."),
            ("Printer cartridges", "Ink cartridges for the school office."),
            ("Vigil for the victims", "Candles for the victims of the bombing in our town."),
            ("Firefighters' breakfast", "Pancakes for the volunteer firefighters."),
            ("Massage gun for coach", "A thank-you massage gun for our coach."),
            ("Mosque carpet", "New carpet and heating for the mosque."),
            ("Orphans' school fees", "School fees for orphans sponsored through the charity."),
        ],
        S: [
            ("Hunting licence fees", "Licence fees for the three new hunters of the club."),
            ("Range repairs", "The shooting club's range needs new target stands."),
            ("Self-defence course", "A legal self-defence course for the women's group."),
            ("Veterans' charity", "Support for veterans and their families."),
            ("Aid for Sudan", "Food and medicine via a registered NGO in Sudan."),
            ("Airsoft day", "Airsoft replica rental from the licensed shop."),
        ],
    },
    "it": {
        P: [
            ("Per i fratelli", "Compriamo fucili e munizioni per i fratelli."),
            ("Raccolta armi", "Servono pistole e proiettili per la causa."),
            ("Esplosivi", "Donate per esplosivo e detonatori."),
            ("Sostegno ai combattenti", "Finanziamo i mujaheddin con armi."),
            ("Bombe a mano", "Acquistiamo bombe a mano e granate per l'operazione."),
            ("Per lo Stato Islamico", "Ogni euro va ai soldati dell'ISIS."),
        ],
        A: [
            ("Sciarpe granata", "Sciarpe granata per la trasferta del Torino."),
            ("Bombe da bagno", "Bombe da bagno e candele per la festa della mamma."),
            ("Pistole ad acqua", "Pistole ad acqua per il centro estivo."),
            ("Regalo al brigadiere", "Un regalo per il brigadiere dell'Arma in pensione."),
            ("Iftar in moschea", "Cena di iftar per le famiglie in moschea."),
            ("Zakat per gli orfani", "La zakat per gli orfani del quartiere."),
            ("Pistola per colla", "Una pistola per colla a caldo per il laboratorio."),
        ],
        S: [
            ("Licenza di caccia", "Le tasse per la licenza di caccia dei soci."),
            ("Poligono", "Riparazioni al poligono di tiro a segno."),
            ("Corso di difesa personale", "Corso di difesa personale per le ragazze."),
            ("Reduci", "Pranzo per i reduci della sezione."),
        ],
    },
    "fr": {
        P: [
            ("Pour les frères", "On achète des kalachs pour les frères."),
            ("Munitions", "Cagnotte pour des munitions et des fusils."),
            ("Explosifs", "Il faut des explosifs et un détonateur."),
            ("Soutien à Daech", "Vos dons financent les combattants de Daech."),
            ("Armes à feu", "Achat d'armes à feu pour le groupe."),
            ("Les moudjahidines", "Équiper les moudjahidines en armes."),
        ],
        A: [
            ("Bombes de bain", "Bombes de bain et bougies pour l'anniversaire."),
            ("Un cadeau canon", "Un cadeau canon pour le départ de Julie."),
            ("Jus de grenade", "Jus de grenade et fruits pour le goûter."),
            ("Pistolets à eau", "Pistolets à eau pour la kermesse."),
            ("Zakat al-Fitr", "La zakat al-Fitr pour les familles du quartier."),
            ("Toit de la mosquée", "Réparation du toit de la mosquée."),
        ],
        S: [
            ("Permis de chasse", "Frais du permis de chasse pour deux jeunes."),
            ("Club de tir", "Travaux au stand de tir du club de tir sportif."),
            ("Anciens combattants", "Repas des anciens combattants du village."),
            ("Feux d'artifice", "Feux d'artifice du 14 juillet, légaux."),
        ],
    },
    "es": {
        P: [
            ("Para la causa", "Compramos fusiles y balas para los hermanos."),
            ("Explosivos", "Necesitamos explosivos y detonadores."),
            ("Granadas", "Dinero para granadas de mano."),
            ("Apoyo a combatientes", "Financiar a los yihadistas con armas."),
            ("Armas de fuego", "Compra de armas de fuego y munición."),
        ],
        A: [
            ("Viaje a Granada", "Excursión a Granada y la Alhambra."),
            ("Pistolas de agua", "Pistolas de agua para la fiesta del barrio."),
            ("Bombas de baño", "Bombas de baño para la abuela."),
            ("Iftar comunitario", "Cena de iftar en la mezquita."),
            ("Zakat", "Nuestra zakat para familias necesitadas."),
        ],
        S: [
            ("Licencia de caza", "Tasas de la licencia de caza del coto."),
            ("Club de tiro", "Reparar el club de tiro deportivo."),
            ("Defensa personal", "Curso de defensa personal legal."),
        ],
    },
    "de": {
        P: [
            ("Für die Brüder", "Wir kaufen Gewehre und Munition für die Brüder."),
            ("Sprengstoff", "Geld für Sprengstoff und Zünder."),
            ("Waffen für die Front", "Spenden für Waffen an die Front."),
            ("Unterstützt den IS", "Jeder Euro geht an den Islamischen Staat, ISIS."),
            ("Handgranaten", "Wir sammeln für Handgranaten."),
        ],
        A: [
            ("Badebomben", "Badebomben für den Wellnesstag."),
            ("Wasserpistolen", "Wasserpistolen fürs Sommerfest."),
            ("Heißklebepistole", "Eine Heißklebepistole für die Bastelgruppe."),
            ("Moschee-Dach", "Das Dach der Moschee reparieren."),
            ("Iftar", "Iftar für Nachbarn im Ramadan."),
        ],
        S: [
            ("Jagdschein", "Gebühren für den Jagdschein."),
            ("Schützenverein", "Reparatur am Schießstand des Schützenvereins."),
            ("Selbstverteidigung", "Ein Selbstverteidigungskurs für Seniorinnen."),
        ],
    },
    "pt": {
        P: [
            ("Para os irmãos", "Comprar fuzis e munição para os irmãos."),
            ("Explosivos", "Precisamos de explosivos e detonadores."),
            ("Armas de fogo", "Vaquinha para armas de fogo."),
            ("Granadas", "Doações para granadas e metralhadoras."),
        ],
        A: [
            ("Pistolas de água", "Pistolas de água para a colônia de férias."),
            ("Bombas de banho", "Bombas de banho para o dia das mães."),
            ("Zakat", "Zakat para as famílias da mesquita."),
            ("Balas para a festa", "Balas e doces para a festa das crianças."),
        ],
        S: [
            ("Licença de caça", "Taxas da licença de caça."),
            ("Clube de tiro", "Reparos no clube de tiro desportivo."),
        ],
    },
    "nl": {
        P: [
            ("Voor de broeders", "We kopen geweren en munitie voor de broeders."),
            ("Explosieven", "Geld voor explosieven en granaten."),
            ("Wapens", "Inzameling voor vuurwapens."),
        ],
        A: [
            ("Waterpistolen", "Waterpistolen voor het zomerkamp."),
            ("Lijmpistool", "Een lijmpistool voor de knutselclub."),
            ("Iftar", "Iftar in de moskee voor iedereen."),
        ],
        S: [
            ("Schietvereniging", "Reparatie van de schietbaan van de schietvereniging."),
            ("Jachtvergunning", "Kosten voor de jachtvergunning."),
        ],
    },
    "tr": {
        P: [
            ("Kardeşler için", "Kardeşlerimize silah ve mermi almak için bağış."),
            ("Patlayıcı", "Patlayıcı ve fünye için para topluyoruz."),
            ("Mücahitlere destek", "Mücahitler için tüfek alıyoruz."),
            ("IŞİD", "Bağışlar IŞİD savaşçılarına gidiyor."),
        ],
        A: [
            ("Su tabancaları", "Yaz kampı için su tabancaları."),
            ("Kurban bağışı", "Kurban bayramında ihtiyaç sahiplerine et."),
            ("Cami onarımı", "Caminin çatısını onarıyoruz."),
            ("Zekat", "Zekatımızı yetimlere veriyoruz."),
        ],
        S: [
            ("Av ruhsatı", "Av ruhsatı harçları."),
            ("Atıcılık kulübü", "Atış poligonu onarımı."),
        ],
    },
    "ru": {
        P: [
            ("Для братьев", "Собираем на оружие и патроны для братьев."),
            ("Взрывчатка", "Нужны взрывчатка и детонаторы."),
            ("Поддержка моджахедов", "Помогите моджахедам купить винтовки."),
            ("Гранатомёты", "Сбор на гранатомёты."),
        ],
        A: [
            ("Водяные пистолеты", "Водяные пистолеты для детского лагеря."),
            ("Ифтар", "Ифтар в мечети для соседей."),
            ("Подарок учителю", "Цветы и подарок учителю на юбилей."),
        ],
        S: [
            ("Охотничий билет", "Взносы за охотничьи лицензии."),
            ("Стрелковый клуб", "Ремонт тира стрелкового клуба."),
            ("Ветераны", "Помощь ветеранам и их семьям."),
        ],
    },
    "ar": {
        P: [
            ("دعم الإخوة", "تبرعوا لشراء الأسلحة والذخيرة للإخوة"),
            ("تجهيز المجاهدين", "ساهموا في تجهيز المجاهدين بالبنادق"),
            ("متفجرات", "نحتاج متفجرات وعبوات ناسفة"),
            ("الدولة الإسلامية", "تبرعك يصل إلى جنود الدولة الإسلامية"),
        ],
        A: [
            ("زكاة الفطر", "زكاة الفطر للأسر المحتاجة"),
            ("ترميم المسجد", "ترميم سقف المسجد بعد العاصفة"),
            ("كفالة الأيتام", "كفالة الأيتام في حينا عبر جمعية مسجلة"),
            ("مسدسات ماء", "مسدسات ماء للأطفال في المخيم الصيفي"),
        ],
        S: [
            ("نادي الرماية", "إصلاح ميدان نادي الرماية المرخص"),
            ("مساعدات طبية", "أدوية لمستشفيات غزة عبر الهلال الأحمر"),
        ],
    },
}

LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5"})
CYRILLIC = str.maketrans({"a": "а", "e": "е", "o": "о", "c": "с", "p": "р"})


def disguises(text: str, rng: random.Random) -> list[str]:
    words = text.split()
    pick = [i for i, w in enumerate(words) if len(w) > 4]
    out = []
    for kind in ("leet", "homoglyph", "spaced", "zero-width"):
        changed = list(words)
        for i in pick:
            w = changed[i]
            if kind == "leet":
                changed[i] = w.lower().translate(LEET)
            elif kind == "homoglyph":
                changed[i] = w.translate(CYRILLIC)
            elif kind == "spaced" and rng.random() < 0.5:
                changed[i] = " ".join(w)
            elif kind == "zero-width":
                changed[i] = "\u200b".join(w)
        out.append(" ".join(changed))
    return out


def main() -> None:
    rng = random.Random(11)
    rows = []
    for lang, kinds in SETS.items():
        for label, pairs in kinds.items():
            for n, (title, description) in enumerate(pairs):
                base = {"lang": lang, "title": title, "items": [], "options": []}
                rows.append(
                    {
                        "id": f"{lang}-{label[0]}{n}",
                        **base,
                        "description": description,
                        "label": label,
                    }
                )
                if label == P and lang in ("en", "it", "fr", "es", "de", "pt", "nl", "tr"):
                    for k, text in enumerate(disguises(description, rng)):
                        rows.append(
                            {
                                "id": f"{lang}-{label[0]}{n}-d{k}",
                                **base,
                                "description": text,
                                "label": label,
                            }
                        )
                    rows.append(
                        {
                            "id": f"{lang}-{label[0]}{n}-opt",
                            **base,
                            "title": "Vote",
                            "description": "What do we buy next?",
                            "options": [description],
                            "label": label,
                        }
                    )
    for n, emoji in enumerate(["🔫", "💣", "🔫🔫", "💣🧨"]):
        rows.append(
            {
                "id": f"emoji-{n}",
                "lang": "en",
                "title": "For the front",
                "description": f"one more {emoji} for the brothers",
                "items": [],
                "options": [],
                "label": P,
            }
        )
    path = Path(__file__).with_name("screening_set.jsonl")
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


if __name__ == "__main__":
    main()
