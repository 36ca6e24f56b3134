#!/usr/bin/env python3
"""Write <stem>.gold.csv from the hand coding below.

The coding is keyed by respondent-turn number (1 = first respondent turn); the
turn_start_text (first 8 whitespace words after the label) is taken from the .txt so
that it cannot be mistyped. Respondent turns not listed are deliberately uncoded.
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
"heldout8-it-en": {
 2: [(IT, "Local partners (distributors, subcontractors and customers)", "A Portuguese shipyard, an existing customer, builds trawlers for an Irish owner and puts the firm's system on board: first export through a domestic customer."),
     (CR, "Foster the decision to enter the export market", "The shipyard order is what made the firm think there was a market abroad: the tie triggers the first export."),
     (IT, "Foreign firms", "The Irish owner then orders directly for three more boats: a firm abroad giving orders.")],
 3: [(DB, "Decisions", "The founders disagree on readiness ('not ready', 'strong in Portugal first') and decide to go abroad by a vote: who decides and timing. The small home fleet is a push motive, not coded as a barrier.")],
 4: [(DB, "Market selection", "Targets chosen by the regulation: Denmark, Netherlands, Norway first, Spain/south set aside."),
     (IT, "Managers' contacts from previous jobs or experiences", "Former boss from the speaker's four years at a sonar maker in Alesund supplies the distributor names."),
     (CR, "Build up a distribution and commercialization network abroad", "The former boss's introductions lead to a distributor in Norway."),
     (CR, "Reduce information asymmetry", "The ex-boss tells him which distributor pays on time: checking the reliability of foreign counterparts."),
     (DB, "Partner choice", "Chooses the smaller Tromso distributor and says why (knows the coastal fleet, hungry)."),
     (IT, "Foreign firms", "The Tromso distributor, a firm abroad, becomes the route into Norway.")],
 5: [(IT, "Foreign firms", "The Tromso distributor gives access to Iceland, Faroes, Scotland."),
     (CR, "Achieve rapid international expansion and growth", "Three new markets in one year through the distributor's customers; 'alone that's five years'."),
     (CR, "Provide access to new knowledge", "The distributor brings the type-approval know-how for the Norwegian authority."),
     (CR, "Increase export propensity", "Export share from about 15% to half the company, regular monthly shipments, after the distributor.")],
 6: [(DB, "Negotiation", "Bargaining over exclusivity territory and years, minimum units and payment terms."),
     (IT, "Foreign firms", "The Tromso distributor is the negotiation counterpart.")],
 9: [(IT, "Institutional agencies", "The sector association supplies a Nordic market study (membership sentence alone would be a near miss)."),
     (AR, "Analyst of markets and internationalization paths", "Association study with vessel numbers, suppliers, rules and a recommendation of route for a firm of that size."),
     (CR, "Obtain information about foreign markets", "Facts on the Nordic fisheries-electronics market obtained through the association."),
     (CR, "Assist in the selection of foreign entry modes", "The study recommends entering Denmark through a distributor, not an own structure.")],
 10: [(AR, "Disseminator of information and competences", "Weekly newsletter circulating tenders to members."),
      (AR, "Information aggregator", "Complains information is scattered (association, AICEP, Commission) and the association should be 'one door'."),
      (IT, "Institutional agencies", "The association and AICEP named as sources of internationalization information."),
      (KC, "Combination", "Merges fleet register, association market sheets, tender lists and regulation deadlines into a new ranking of countries."),
      (DB, "Market selection", "The ranking brings Croatia into view as a target.")],
 11: [(CR, "Reach target niches across international markets", "Tuna-farm transfer monitoring: small niche in each of Croatia, Malta, Spain, Turkey, reached through one partner."),
      (IT, "Foreign firms", "A Maltese diving/cage-inspection company includes the cameras in its offer across the Mediterranean.")],
 12: [(DB, "Costs of travel", "Monthly trips to Norway, expensive hotels, 40k euros a year on his travel."),
      (DB, "Costs of trade fairs", "Nor-Fishing stand quote of about 30k (space, builder, shipping demo) leads them to go only as visitors.")],
 13: [(DB, "Costs of legislation and compliance", "Marine environment tests and type approval needed abroad; official tests 65k euros."),
      (IT, "External parties", "University of Aveiro lab does pre-compliance tests."),
      (CR, "Provide access to new knowledge", "University staff help redesign the housing before the official tests: technical know-how."),
      (DB, "Lack of capital", "'We didn't have it', bank refused: firm could not pay the tests, split over two years and lost a season.")],
 14: [(IT, "Government bodies", "The public incentive programme for SME internationalization."),
      (IT, "Consultants", "A paid consultant in Coimbra prepares the incentive application."),
      (DB, "Lack of state support", "Incentive money paid fourteen months late: 'the state helps, but late'."),
      (CR, "Compensate the lack of financial resources", "The distributor pays 30% in advance when the firm could not finance the components."),
      (IT, "Foreign firms", "The Tromso distributor provides the advance payment."),
      (DB, "Lack of capital", "'We couldn't pay for the cameras ... we'd have refused the order.'")],
 16: [(IT, "Competitors", "Aveiro tracking-unit maker presented as a rival in Portugal, cooperating in Ireland."),
      (CR, "Assist in mitigating the costs and risks of cross-border activities", "Rivals share an installer's retainer in Ireland that neither could justify alone."),
      (IT, "Strategic allies and affiliated companies", "Written cooperation agreement with a Rotterdam AI company; joint package sold abroad."),
      (CR, "Create strategic alliances or cooperation agreements", "Formal cooperation agreement for selling to Dutch and Belgian authorities."),
      (CR, "Assist in the selection of foreign entry modes", "The Dutch ally advises licensing to a Halifax company instead of opening an office in Canada."),
      (DB, "Entry mode", "Choice of licensing rather than an own office for Canada.")],
 17: [(IT, "Personal network, family and friends", "A cousin in Mindelo supplies the opportunity and introductions."),
      (CR, "Obtain information about foreign markets", "Cousin reports EU-funded monitoring of foreign tuna boats in Cape Verde and no competitor present."),
      (CR, "Foster the decision to enter the export market", "The cousin's tip is why the firm goes to Cape Verde."),
      (DB, "Market selection", "Cape Verde chosen, Senegal postponed."),
      (IT, "Government bodies", "Portuguese embassy as (absent) source of help and ministry contact."),
      (DB, "Lack of state support", "Embassy gives no concrete help, three months for a meeting; Spaniards get their ambassador.")],
 18: [(KC, "Socialization", "Shadows an experienced exporter for three days at Vigo, learning how he talks to skippers."),
      (IT, "Personal network, family and friends", "The mentor is an old friend of his father's."),
      (CR, "Provide access to new knowledge", "Experienced exporter's selling know-how; also offers his own experience to firms starting out."),
      (KC, "Externalization", "Writes a country memo after each trip; presents 'ten mistakes' lessons to other members."),
      (IT, "Institutional agencies", "The association asks him to present the Norway experience to members."),
      (AR, "Disseminator of information and competences", "Association session circulating a member's internationalization experience to other associates.")],
 19: [(DB, "Risk assessment", "Weighs duties, certification, 90-day payment and currency in Brazil: 'if this goes wrong the company goes with it'."),
      (DB, "Market selection", "Brazil parked; Canada and maybe Chile next."),
      (IT, "Institutional agencies", "Chamber of commerce organised the Brazil mission with a meeting programme.")],
 20: [(AR, "Organiser of joint initiatives and investments (sharing costs and risks)", "Wish that the association organise a shared stand in Norway for marine-electronics firms, splitting the cost."),
      (IT, "Institutional agencies", "What the association should do for members."),
      (CR, "Assist in mitigating the costs and risks of cross-border activities", "Motive for the wished-for collaboration: split the cost of a stand.")],
},
"heldout8-textile-en": {
 2: [(IT, "Foreign firms", "A German compression brand takes the firm as private-label supplier."),
     (CR, "Foster the decision to enter the export market", "The German brand's search for capacity brings the first customer outside Portugal."),
     (CR, "Create a source of learning", "Year after year of working with the German customer changed the firm's practices; its quality system grew out of the relationship.")],
 3: [(DB, "Entry mode", "From private-label supplying to exporting under an own brand."),
     (DB, "Risk assessment", "Dependence on one customer; numbers done on losing the German client; own brand placed so as not to threaten it."),
     (DB, "Market selection", "Own brand only where the German client is weak; Germany and Austria excluded.")],
 4: [(DB, "Market selection", "France chosen first: reimbursed, largest market."),
     (DB, "Lack of information and knowledge", "'We knew nothing about how it works': reimbursement list, codes, prices, wholesalers.")],
 5: [(IT, "Managers' contacts from previous jobs or experiences", "Former purchasing colleague from her Madrid job now runs a Lyon wholesaler."),
     (CR, "Obtain information about foreign markets", "Colleague sends the reimbursement list, retail prices, dominant brands."),
     (IT, "Foreign firms", "The Lyon wholesaler becomes distributor."),
     (CR, "Build up a distribution and commercialization network abroad", "The tie becomes the distribution channel into about 4,000 French pharmacies.")],
 6: [(DB, "Negotiation", "Price per pair and pharmacy-only two-year exclusivity bargained; 11% more obtained."),
     (CR, "Reduce information asymmetry", "Wholesaler knew pharmacy prices, she did not; checks them through a pharmacist to negotiate on equal terms."),
     (IT, "Personal network, family and friends", "A friend of her sister's, pharmacist in Lyon."),
     (IT, "Foreign firms", "The Lyon wholesaler is the negotiation counterpart.")],
 7: [(DB, "Costs of legislation and compliance", "MDR files, clinical evaluation, notified body to sell in France: about 180k euros and two people."),
     (DB, "Lack of capital", "Could not pay the notified body for all families at once; bank not interested; one line delayed a year.")],
 8: [(IT, "Consultants", "Paid regulatory consultant in Porto for the MDR work."),
     (IT, "Competitors", "A rival compression maker in Famalicao, competing for every order, shares the consultant."),
     (CR, "Assist in mitigating the costs and risks of cross-border activities", "Clinical literature review cost split fifty-fifty with the rival.")],
 9: [(IT, "Institutional agencies", "The textile association runs the MDR workshops."),
     (AR, "Provider of services to associates", "Training workshops with a technical-file template and checklist."),
     (KC, "Internalization", "Template followed line by line, second file faster, now done without opening it: written guidance turned into routine.")],
 10: [(AR, "Promoter of meetings and strategic alignment", "Quarterly health-textiles group discussing Nordic tenders and whether to go together; sees who wants the same."),
      (AR, "Promoter of collaboration and synergies", "Association introduces a complementary bandage maker; joint kit sold to Dutch and Danish clinics."),
      (IT, "Institutional agencies", "The association convenes the group and makes the introduction.")],
 11: [(KC, "Socialization", "Informal lunch talks with an experienced exporter give 'a feeling' for Danish hospital buying."),
      (CR, "Reduce uncertainty", "Nordic tenders 'scared me, now I know what to expect'.")],
 12: [(AR, "Organiser of joint initiatives and investments (sharing costs and risks)", "Association-organised inbound buyers' visit with costs shared by six companies."),
      (CR, "Assist in mitigating the costs and risks of cross-border activities", "30k alone versus about 5k each when shared."),
      (IT, "Institutional agencies", "The association organises the buyers' visit.")],
 13: [(CR, "Reach target niches across international markets", "Made-to-measure lymphoedema garments: small in each country, reached in NL, BE, DK through a lymphology specialist."),
      (IT, "Foreign firms", "Utrecht distributor specialised in lymphology."),
      (CR, "Explore how quickly an international opportunity can be exploited", "Six-week Danish tender met only because the Utrecht partner was already a registered supplier.")],
 14: [(DB, "Barriers", "No staff with German/Danish and regulatory skills; trained people leave."),
      (IT, "Government bodies", "Embassy in Copenhagen and the public internationalization incentive."),
      (CR, "Obtain information about foreign markets", "Commercial attache sends the list of Danish regional purchasing bodies and buyers."),
      (DB, "Lack of state support", "Incentive rejected for a missing signature, rules changed on reopening, firm gave up.")],
 15: [(AR, "Disseminator of information and competences", "Wish for an English catalogue of members' capabilities sent to foreign buyers."),
      (AR, "Analyst of markets and internationalization paths", "Complaint that association market studies cover fashion, never Nordic medical textiles."),
      (IT, "Institutional agencies", "What the association should do better.")],
 16: [(CR, "Create strategic alliances or cooperation agreements", "Planned written consortium with the bandage maker for Danish tenders."),
      (DB, "Partner choice", "Criteria: same size, similar owners and budgets; a big company would make them a mere supplier.")],
},
}


def respondent_turns(path):
    with open(path, encoding="utf-8") as fh:
        blocks = fh.read().strip("\n").split("\n\n")
    return [b.split(": ", 1)[1] for b in blocks if b.startswith("Respondent: ")]


for stem, coding in GOLD.items():
    turns = respondent_turns(os.path.join(HERE, stem + ".txt"))
    with open(os.path.join(HERE, stem + ".gold.csv"), "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["turn_start_text", "codebook", "code", "rationale"])
        n = 0
        for idx in sorted(coding):
            start = " ".join(turns[idx - 1].split()[:8])
            for codebook, code, why in coding[idx]:
                w.writerow([start, codebook, code, why])
                n += 1
    print(stem, "rows", n, "coded turns", len(coding), "of", len(turns))
