#!/usr/bin/env python3
"""Write the heldout6 gold CSVs from the hand-made coding below.

Each row is keyed by a short prefix of a respondent turn; the script looks the turn
up in the interview and writes its first 8 whitespace words as turn_start_text,
so the key text can never drift from the interview. The coding itself is by hand.
"""
import csv
import os

HERE = os.path.dirname(os.path.abspath(__file__))

AR = "Roles of an industrial enterprise association"
CR = "Reasons for establishing collaborative networks"
IT = "Types of intermediaries in collaborative networks"
DB = "Internationalization decisions and barriers"
KC = "Information internalization modes"

GOLD = {
"heldout6-it-en": [
 ("Almost by accident", IT, "Local partners (distributors, subcontractors and customers)", "Águeda luminaire maker, the domestic customer, carried the firm's drivers into a French street-lighting contract: first export inside a Portuguese customer's product."),
 ("Almost by accident", IT, "Foreign firms", "Installer in Toulouse asks for spares directly, a foreign firm opening a direct route into France."),
 ("Almost by accident", CR, "Foster the decision to enter the export market", "The customer's French contract and the installer's request are presented as what made them see France as their own market."),
 ("That one came from", IT, "Managers' contacts from previous jobs or experiences", "First own foreign customer came through a former colleague from the founder's nine years at a German plant in Braga."),
 ("That one came from", IT, "Foreign firms", "The German luminaire company near Stuttgart orders monthly and is the second biggest customer."),
 ("That one came from", CR, "Foster the decision to enter the export market", "Unsolicited request for samples from the contact is what took the firm into Germany."),
 ("Me, basically.", DB, "Decisions", "Who decided (founder pushed, finance partner counted) and timing/readiness: 'either we go out properly or we stay a garage company', decided before being ready."),
 ("We looked for places", DB, "Market selection", "Chooses Germany, Netherlands, Nordics for quality-minded buyers; rejects Gulf and Morocco with reasons."),
 ("We looked for places", DB, "Risk assessment", "Weighs Gulf payment risk: 180 days or never, one unpaid container would end the firm."),
 ("We looked for places", AR, "Analyst of markets and internationalization paths", "Association's market study on Morocco showed the price-driven reality and advised premium firms to look elsewhere."),
 ("We looked for places", CR, "Obtain information about foreign markets", "The association's Morocco study supplied concrete facts on that market (tenders decided on price)."),
 ("We looked for places", IT, "Institutional agencies", "The association named as producer of the Morocco study used for the decision."),
 ("Oh, I'm an engineer", KC, "Combination", "Merges Eurostat import figures with the association's compiled list into a new ranking file per country."),
 ("Oh, I'm an engineer", AR, "Information aggregator", "Association's compiled list of component importers and lighting fairs per country, an information product the firm uses."),
 ("Oh, I'm an engineer", CR, "Obtain information about foreign markets", "The association's list gives importers and fairs per European country: a contacts list about foreign markets."),
 ("Oh, I'm an engineer", IT, "Institutional agencies", "The association is named as the source of the compiled list."),
 ("Oh, I'm an engineer", DB, "Market selection", "The file is a ranking of countries with a score each, used to choose targets."),
 ("Through a distributor.", DB, "Entry mode", "Own office in Eindhoven rejected as unaffordable for 30 people; distributor chosen as form of entry."),
 ("Through a distributor.", DB, "Partner choice", "Visits three candidate distributors and picks the one without a Chinese driver brand, with reasons."),
 ("Through a distributor.", IT, "Foreign firms", "Dutch distributor sells the drivers in the Netherlands, Belgium and Denmark."),
 ("Through a distributor.", CR, "Build up a distribution and commercialization network abroad", "The distributor is the sales channel built for Benelux and Denmark."),
 ("At Light + Building", AR, "Organiser of joint initiatives and investments (sharing costs and risks)", "Association organised a Portuguese pavilion of six firms and split rent and construction between them."),
 ("At Light + Building", IT, "Institutional agencies", "The association named as organiser of the pavilion."),
 ("At Light + Building", DB, "Costs of trade fairs", "Stand alone 20-25k euros plus tripled hotel prices; whether it pays off is weighed."),
 ("At Light + Building", CR, "Assist in mitigating the costs and risks of cross-border activities", "Sharing the pavilion cut their fair cost to about a third (a cost they could have paid: not Compensate)."),
 ("Long. [laughs] They wanted", DB, "Negotiation", "Bargaining with the distributor over Benelux exclusivity and payment terms; outcome 60 days, exclusivity tied to minimum volume."),
 ("Long. [laughs] They wanted", IT, "Foreign firms", "The Dutch distributor is the counterpart in the negotiation."),
 ("Long. [laughs] They wanted", CR, "Reduce information asymmetry", "Called a contact to learn the distributor's usual margin and opening tactics: 'went in knowing more or less their cards'."),
 ("Long. [laughs] They wanted", IT, "Personal network, family and friends", "The contact is a friend from university who sells through the same distributor."),
 ("Yes, that's huge.", DB, "Costs of legislation and compliance", "CE/ENEC testing 8-12k per product family, yearly audits, an engineer half-time on compliance files, to be able to sell."),
 ("Yes, that's huge.", IT, "External parties", "University of Aveiro EMC lab, a university, helps with certification for foreign markets."),
 ("Yes, that's huge.", CR, "Provide access to new knowledge", "A researcher taught the team to run pre-compliance tests: know-how, not market facts."),
 ("The US was a", DB, "Lack of information and knowledge", "'We had no idea' about Class 2, UL standards, where tests can be done."),
 ("The US was a", AR, "Provider of services to associates", "Association's seminar with a certification expert and written UL guide: certification support service."),
 ("The US was a", IT, "Institutional agencies", "The association named as organiser of the seminar and guide."),
 ("The US was a", CR, "Provide access to new knowledge", "Seminar and step-by-step guide transfer know-how on how to obtain UL listing (how to certify a product)."),
 ("The US was a", KC, "Internalization", "Engineer applied the written guide line by line until, by the third product, it was 'in his head'."),
 ("The US was a", DB, "Costs of travel", "Four week-long trips to Chicago in the first year, flights, hotel, car, staff away: 'a lot of money for us'."),
 ("With a rep agency,", IT, "Foreign firms", "Independent commission sales reps in the Midwest (commission agents abroad = Foreign firms)."),
 ("With a rep agency,", CR, "Build up a distribution and commercialization network abroad", "The rep agency is the sales channel in the US."),
 ("With a rep agency,", IT, "Managers' contacts from previous jobs or experiences", "The idea came from the former colleague from the Braga plant, now in Stuttgart."),
 ("With a rep agency,", CR, "Assist in the selection of foreign entry modes", "The contact's advice 'don't take a distributor, find reps' shaped the entry mode."),
 ("With a rep agency,", DB, "Entry mode", "Choice of commission reps rather than a distributor for the US."),
 ("With a rep agency,", CR, "Reduce uncertainty", "The reps told them what to expect year by year: 'I knew what was coming and stopped panicking'."),
 ("With one, and it's", IT, "Competitors", "Direct rival driver maker near Porto, same customers at home, cooperates in the US."),
 ("With one, and it's", CR, "Assist in mitigating the costs and risks of cross-border activities", "Shared container to Chicago every two months cuts freight."),
 ("With one, and it's", CR, "Obtain information about foreign markets", "Exchange facts on which US reps are serious, prices paid by US brands, datasheet expectations."),
 ("We applied to the", IT, "Government bodies", "Portugal 2020 internationalisation incentive, a public incentive scheme."),
 ("We applied to the", IT, "Consultants", "Paid consultant (fee plus percentage) prepared the funding application."),
 ("We applied to the", DB, "Lack of state support", "Complains of forms and of money arriving 14 months after spending."),
 ("We applied to the", DB, "Lack of capital", "Paid from own cash, bank refused to extend credit, unsure they could pay salaries: firm could not finance it."),
 ("[pause] Look, I've told", AR, "Promoter of collaboration and synergies", "Wish that the association match complementary members (luminaire, controls, drivers) to bid together in Latin America."),
 ("[pause] Look, I've told", AR, "Promoter of meetings and strategic alignment", "Separate wish: regular per-market meetings to check whether members' plans fit."),
 ("[pause] Look, I've told", IT, "Institutional agencies", "Statements about what the association should do, naming it."),
 ("Yes, last year we", IT, "Strategic allies and affiliated companies", "Written cooperation agreement with a Valencia smart-controls firm (formal agreement, not plain Foreign firms)."),
 ("Yes, last year we", CR, "Create strategic alliances or cooperation agreements", "Forming the formal cooperation agreement to offer a joint package abroad."),
 ("Yes, last year we", CR, "Reach target niches across international markets", "Joint package targets municipal public-lighting modernisation in Chile, Colombia, Mexico, 'each country alone is a small niche'."),
 ("Yes, last year we", IT, "Government bodies", "Portuguese embassy in Mexico City got them a meeting with city public-lighting officials."),
 ("Two ways. After every", KC, "Externalization", "Writes a two-page report after every trip (what went wrong, what customers wanted) in a shared folder for others."),
 ("Two ways. After every", KC, "Socialization", "New sales engineer shadows customer meetings in Germany and learns by watching: 'that you can't write down'."),
 ("About sixty-five percent of", CR, "Increase export propensity", "Distributor and reps made exports regular and raised export share from ~30% to 65%."),
 ("About sixty-five percent of", IT, "Foreign firms", "The Dutch distributor and US reps named as the ties behind the export share."),
 ("About sixty-five percent of", DB, "Barriers", "Staff and language: engineers who can speak English with foreign customers are hard to find."),
 ("Of course, I already", CR, "Provide access to new knowledge", "Offers his internationalization experience to start-ups beginning to export (tie-break: not a conversion mode)."),
],
"heldout6-textile-en": [
 ("Without noticing, really, that's", IT, "Local partners (distributors, subcontractors and customers)", "Porto sourcing office, a Portugal-based customer, took their bikinis to a Spanish chain: indirect first exports."),
 ("Without noticing, really, that's", CR, "Foster the decision to enter the export market", "The indirect Spanish business 'opened our eyes' and is where the idea of exporting themselves came from."),
 ("In 2012, in the", DB, "Decisions", "Who decided and when: family meeting in the kitchen, mother against, children pushed, decided that day in the crisis."),
 ("In 2012, in the", DB, "Entry mode", "Move from indirect export via the Porto office to direct sales to brands, private label, no middleman."),
 ("Counter-season, that was the", DB, "Market selection", "Targets Scandinavia and Australia for counter-season demand; Australia chosen over South Africa."),
 ("Counter-season, that was the", IT, "Personal network, family and friends", "Cousin in Sydney, a department-store buyer."),
 ("Counter-season, that was the", CR, "Obtain information about foreign markets", "Cousin sent shelf photos, prices and where local brands produce."),
 ("Counter-season, that was the", CR, "Foster the decision to enter the export market", "The cousin is what decided Australia rather than South Africa."),
 ("Counter-season, that was the", DB, "Costs of travel", "Flights at 2,000 euros, three days lost per trip, twice the first year: 'a lot for us'."),
 ("No! [laughs] We didn't", DB, "Lack of information and knowledge", "Did not know Australian UPF testing, care-label and fibre-content rules; found out by a rejected shipment."),
 ("No! [laughs] We didn't", DB, "Costs of legislation and compliance", "Had to test every fabric and colour for sun protection to make the Australian UPF claim: 'that adds up a lot'."),
 ("No! [laughs] We didn't", IT, "Institutional agencies", "The association named as organiser of the labelling workshop and source of the checklist."),
 ("No! [laughs] We didn't", AR, "Provider of services to associates", "Association workshop on Australian labelling with a written checklist: regulatory/compliance service."),
 ("No! [laughs] We didn't", CR, "Obtain information about foreign markets", "Checklist on Australian labelling rules: facts on the legislation of a particular market."),
 ("No! [laughs] We didn't", KC, "Internalization", "Labelling team followed the written checklist for three orders and now works without looking."),
 ("The big swim show", DB, "Costs of trade fairs", "Paris show alone cost 18k with samples, hotel, three people; did not pay off the first year."),
 ("Yes, and that worked", AR, "Organiser of joint initiatives and investments (sharing costs and risks)", "Association rented a shared showroom in Copenhagen for five companies, sharing rent and risk."),
 ("Yes, and that worked", IT, "Institutional agencies", "The association named as organiser of the showroom."),
 ("Yes, and that worked", CR, "Assist in mitigating the costs and risks of cross-border activities", "Each paid a fraction and would lose only a fraction if it went badly."),
 ("Yes, and that worked", CR, "Achieve rapid international expansion and growth", "Buyers from Sweden, Norway, Finland in two seasons; 'alone that would have taken us years'."),
 ("Yes, and that worked", IT, "Government bodies", "Public incentive covering fifty percent of the showroom."),
 ("Yes, and that worked", DB, "Lack of state support", "Incentive paid a year late after three reports and partly cut for a missing stamp."),
 ("Our biggest today is", DB, "Negotiation", "Bargaining with the Danish brand on minimum per colour, payment terms, fabric prepaid; consignment refused."),
 ("Our biggest today is", IT, "Foreign firms", "Danish resort-wear brand, biggest customer and negotiation counterpart."),
 ("Because with a new", DB, "Risk assessment", "First order of any new foreign customer against a letter of credit or 30% up front, after a bank check on the buyer."),
 ("Because with a new", IT, "External parties", "Their bank's trade-finance department (banks = External parties)."),
 ("Because with a new", CR, "Reduce information asymmetry", "The bank checks the buyer through correspondent banks and knows payers better than she could; warned her off a discounter that later went bankrupt."),
 ("Once, almost. A surf", DB, "Lack of capital", "Needed 200k euros of fabric up front, bank said no, 'we simply didn't have that money'."),
 ("Once, almost. A surf", IT, "Local partners (distributors, subcontractors and customers)", "Long-standing knitting supplier in Barcelos (Portugal-based value-chain partner)."),
 ("Once, almost. A surf", CR, "Compensate the lack of financial resources", "Supplier bought the yarn, knitted the fabric and gave 90 days: its resources replaced capital they lacked."),
 ("Once, almost. A surf", CR, "Explore how quickly an international opportunity can be exploited", "Specific Californian order with a two-week deadline accepted in time thanks to the supplier."),
 ("Once, almost. A surf", IT, "Foreign firms", "Californian surf brand placing the order."),
 ("There's one in Póvoa,", IT, "Competitors", "Direct rival in Póvoa, same brands; cooperates on Canada."),
 ("There's one in Póvoa,", CR, "Obtain information about foreign markets", "Rival shares facts on Canadian bilingual labels, duties under the trade agreement, which Montreal importers pay."),
 ("Yes, chlorine-resistant training suits", CR, "Reach target niches across international markets", "Club training suits, a tiny niche per country, reached in NL, BE and DE through a clubwear distributor."),
 ("Yes, chlorine-resistant training suits", IT, "Foreign firms", "Distributor in Utrecht."),
 ("Once, yes. The association", AR, "Analyst of markets and internationalization paths", "Association's study on Gulf modest swimwear showed buyers' small quantities and said it suits bigger firms."),
 ("Once, yes. The association", IT, "Institutional agencies", "The association named as author of the study."),
 ("Once, yes. The association", CR, "Obtain information about foreign markets", "The study supplied concrete facts on Gulf buyers (very small quantities, many changes)."),
 ("Once, yes. The association", DB, "Market selection", "Gulf rejected on the basis of the study: 'So we let it go'."),
 ("Honestly? Uh, sometimes. They", AR, "Disseminator of information and competences", "Weekly newsletter circulating tenders, missions, fairs; led them to the Copenhagen showroom. Association referred to only by pronoun here, so no Institutional agencies."),
 ("Bring us together to", AR, "Promoter of meetings and strategic alignment", "Wish for a working group where swimwear and lingerie firms agree whether to approach Scandinavia with a common story."),
 ("Bring us together to", IT, "Institutional agencies", "The association (wish) and AICEP in Stockholm (buyer list) named."),
 ("Bring us together to", CR, "Obtain information about foreign markets", "AICEP gave a list of Swedish brands sourcing in Europe with buyers' names."),
 ("From a friend of", KC, "Socialization", "Accompanied an experienced exporter to his Stockholm meetings and learned by watching."),
 ("From a friend of", IT, "Personal network, family and friends", "A friend of her father's, knitwear owner in Guimarães."),
 ("From a friend of", CR, "Create a source of learning", "Ongoing mentor she calls whenever in doubt; changed the firm's quoting practice because of him."),
 ("After each trip I", KC, "Externalization", "After each trip she writes a market sheet per country (what sells, how they negotiate, what went wrong) for the new salesperson."),
 ("After each trip I", KC, "Combination", "Each autumn merges the market sheets, sales per country and the association's fair/mission calendar into the year plan."),
 ("After each trip I", AR, "Information aggregator", "Association compiles a calendar of fairs and missions, an information product the firm uses."),
 ("After each trip I", IT, "Institutional agencies", "The association named as compiler of the calendar."),
 ("Eighty-five percent export. The", DB, "Barriers", "Staff and language: no English-speaking pattern-maker, sales team struggles in English."),
 ("Eighty-five percent export. The", IT, "Strategic allies and affiliated companies", "Consortium agreement with a fabric knitter and a printer."),
 ("Eighty-five percent export. The", CR, "Create strategic alliances or cooperation agreements", "Formal consortium formed to offer a joint collection to Scandinavian brands."),
],
}


def respondent_turns(path):
    with open(path, encoding="utf-8") as fh:
        blocks = fh.read().strip("\n").split("\n\n")
    out = []
    for b in blocks:
        label, body = b.split(": ", 1)
        if label == "Respondent":
            out.append(body)
    return out


def main():
    for stem, rows in GOLD.items():
        turns = respondent_turns(os.path.join(HERE, stem + ".txt"))
        with open(os.path.join(HERE, stem + ".gold.csv"), "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["turn_start_text", "codebook", "code", "rationale"])
            for key, cb, code, why in rows:
                hits = [t for t in turns if t.startswith(key)]
                assert len(hits) == 1, (stem, key, len(hits))
                start = " ".join(hits[0].split()[:8])
                w.writerow([start, cb, code, why])
        print(stem, len(rows), "rows")


if __name__ == "__main__":
    main()
