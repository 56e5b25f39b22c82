"""The ``pvd:`` vocabulary as an rdflib DefinedNamespace, generated from ``ontology/pvd.ttl``.

Do not edit: after changing the ontology, run ``python -m pvd_graph.namespaces`` (rdflib's
DefinedNamespace creator lists the terms); ``tests/test_namespaces.py`` fails until this file matches.
Each comment is the term's ``skos:definition`` (French, then English).
"""

from rdflib.namespace import DefinedNamespace, Namespace
from rdflib.term import URIRef


class PVD(DefinedNamespace):
    """The classes and properties declared in ``ontology/pvd.ttl``; any other name raises."""

    _NS = Namespace("https://w3id.org/pvd-graph/ontology#")
    _fail = True

    AdhesionConvention: URIRef  # Convention par laquelle des communes lauréates de Petites villes de demain, leur intercommunalité et l'État actent leur engagement dans le programme (ANCT, « Petites villes de demain — mode d'emploi ») ; elle précède la convention-cadre, signée dans les 18 mois, qui vaut opération de revitalisation de territoire. Convention by which towns selected for Petites villes de demain, their inter-municipal body and the State record their commitment to the programme (ANCT, "Petites villes de demain — mode d'emploi"); it precedes the framework convention, signed within 18 months, which stands as the territorial revitalisation operation.
    Agency: URIRef  # Agence ou établissement public national qui pilote ou soutient un programme (ANCT, ANAH, Banque des Territoires). National agency or public body that steers or supports a programme (ANCT, ANAH, Banque des Territoires).
    CRTEContract: URIRef  # Contrat de relance et de transition écologique (CRTE) passé entre l'État et un territoire. Recovery and ecological transition contract (CRTE) between the State and a territory.
    CommunauteDAgglomeration: URIRef  # EPCI de nature juridique communauté d'agglomération (type CA). EPCI whose legal form is an agglomeration community (type CA).
    CommunauteDeCommunes: URIRef  # EPCI de nature juridique communauté de communes (type CC). EPCI whose legal form is a community of communes (type CC).
    CommunauteUrbaine: URIRef  # EPCI de nature juridique communauté urbaine (type CU). EPCI whose legal form is an urban community (type CU).
    Commune: URIRef  # Commune du code officiel géographique, identifiée par son code INSEE à cinq caractères. Commune of the official geographic code, identified by its five-character INSEE code.
    Convention: URIRef  # Acte contractuel signé par des collectivités et des organisations pour mettre en œuvre un programme sur un territoire. Contract signed by local authorities and organisations to carry out a programme on a territory.
    Departement: URIRef  # Département du code officiel géographique (01 à 95, 2A, 2B, 971 à 976…). Département of the official geographic code (01 to 95, 2A, 2B, 971 to 976…).
    EPCI: URIRef  # Établissement public de coopération intercommunale à fiscalité propre, identifié par son SIREN. Inter-municipal cooperation body with its own taxation, identified by its SIREN number.
    FrameworkConvention: URIRef  # Convention « chapeau » qui fixe le cadre commun dont relèvent d'autres conventions, souvent à l'échelle d'une intercommunalité. Umbrella convention setting the common frame of other conventions, often at the scale of an inter-municipal body.
    Grouping: URIRef  # Personne morale identifiée par son SIREN qui regroupe des collectivités sans être un EPCI à fiscalité propre ni une commune : pôle d'équilibre territorial et rural (PETR), pôle métropolitain, syndicat mixte, établissement public territorial du Grand Paris, association ; sa nature juridique est celle que donne la source (pvd:legalNature). Legal person identified by its SIREN that groups local authorities without being an EPCI with its own taxation or a commune: rural and territorial balance hub (PETR), metropolitan hub, mixed syndicate, public territorial body of Greater Paris, association; its legal form is the one its source gives (pvd:legalNature).
    LocalAuthority: URIRef  # Collectivité territoriale ou groupement de collectivités, personne morale de droit public qui peut signer une convention. Territorial authority or grouping of authorities, a public-law legal person that can sign a convention.
    Metropole: URIRef  # EPCI de nature juridique métropole (types METRO et MET69, la métropole de Lyon). EPCI whose legal form is a metropolis (types METRO and MET69, the Lyon metropolis).
    ORT: URIRef  # Opération de revitalisation de territoire (ORT) : une opération, non un programme, sur une ou plusieurs communes d'un EPCI, mise en place par une convention entre l'État, l'EPCI et tout ou partie de ses communes membres (code de la construction et de l'habitation, art. L303-2). Territorial revitalisation operation (ORT): an operation, not a programme, on one or more communes of an EPCI, set up by a convention between the State, the EPCI and some or all of its member communes (Construction and Housing Code, art. L303-2).
    ORTConvention: URIRef  # Convention créant une opération de revitalisation de territoire, signée par l'État et l'EPCI (code de la construction et de l'habitation, art. L303-2). Convention creating a territorial revitalisation operation, signed by the State and the EPCI (Construction and Housing Code, art. L303-2).
    Organisation: URIRef  # Organisation publique ou parapublique qui pilote, soutient ou signe : agence, État, collectivité. Public or semi-public organisation that steers, supports or signs: agency, State, local authority.
    Participation: URIRef  # Participation qualifiée d'un territoire à un programme, avec son année de début (forme n-aire de pvd:participatesIn). Qualified participation of a territory in a programme, with its starting year (n-ary form of pvd:participatesIn).
    Programme: URIRef  # Programme ou dispositif public national d'appui aux territoires (Petites villes de demain, Action cœur de ville, ORT, CRTE). National public programme or scheme supporting territories (Petites villes de demain, Action cœur de ville, ORT, CRTE).
    Region: URIRef  # Région du code officiel géographique, identifiée par un code à deux chiffres. Région of the official geographic code, identified by a two-digit code.
    Source: URIRef  # Document ou fichier dont proviennent des faits du graphe (page web, fichier officiel importé). Document or file the graph's facts come from (web page, imported official file).
    State: URIRef  # L'État français, signataire des conventions par ses représentants (préfets). The French State, signing conventions through its representatives (prefects).
    Territory: URIRef  # Espace géographique délimité et identifié par un code officiel (commune, intercommunalité, département, région). Geographic area delimited and identified by an official code (commune, inter-municipal grouping, département, région).
    TownConvention: URIRef  # Convention propre à une commune, qui décline une convention-cadre pour cette commune. Convention of one town, applying a framework convention to that town.
    actionsDelivered: URIRef  # Nombre d'actions livrées déclarées par le programme (Action cœur de ville). Number of actions delivered reported by the programme (Action cœur de ville).
    actionsInProgress: URIRef  # Nombre d'actions en cours déclarées par le programme (Action cœur de ville). Number of actions in progress reported by the programme (Action cœur de ville).
    cogVintage: URIRef  # Millésime du code officiel géographique dont provient un code ou une donnée (par exemple « 2025 »). Vintage of the official geographic code a code or fact comes from (for example "2025").
    concerns: URIRef  # Relie une convention à un territoire sur lequel elle s'applique. Links a convention to a territory it applies to.
    durationYears: URIRef  # Durée de la convention en années, quand la source la renseigne. Duration of the convention in years, when the source gives it.
    epciType: URIRef  # Nature juridique de l'EPCI selon le code officiel géographique : CC, CA, CU, METRO ou MET69. Legal form of the EPCI as in the official geographic code: CC, CA, CU, METRO or MET69.
    establishedBy: URIRef  # Relie une opération de revitalisation de territoire à la convention qui la met en place. Links a territorial revitalisation operation to the convention that sets it up.
    estimatedEnd: URIRef  # Date de fin estimée de la convention, telle que la source la donne. Estimated end date of the convention, as the source gives it.
    hasGrouping: URIRef  # Relie un CRTE à chacun des groupements que la liste ANCT lui donne (une ligne par groupement) : un EPCI à fiscalité propre, une commune (nature COM) ou un autre groupement (pvd:Grouping, par exemple un établissement public territorial). Links a CRTE to each grouping the ANCT list gives it (one row per grouping): an EPCI with its own taxation, a commune (nature COM) or another grouping (pvd:Grouping, e.g. a public territorial body).
    inDepartement: URIRef  # Relie une commune au département où elle se trouve. Links a commune to the département it lies in.
    inProgramme: URIRef  # Programme concerné par une participation qualifiée. Programme of a qualified participation.
    inRegion: URIRef  # Relie un département à la région où il se trouve. Links a département to the région it lies in.
    inseeCode: URIRef  # Code officiel géographique attribué par l'INSEE à une commune, un département ou une région. Official geographic code given by INSEE to a commune, département or région.
    interDepartemental: URIRef  # Vrai si le CRTE s'étend sur plusieurs départements, selon la liste ANCT (colonne crte_interdep). True when the CRTE spans several départements, according to the ANCT list (column crte_interdep).
    interRegional: URIRef  # Vrai si le CRTE s'étend sur plusieurs régions, selon la liste ANCT (colonne crte_interreg). True when the CRTE spans several régions, according to the ANCT list (column crte_interreg).
    joinedThrough: URIRef  # Convention par laquelle le participant est entré dans le programme (convention d'adhésion PVD, convention-cadre ACV, convention d'ORT, contrat CRTE) ; la date d'entrée est sa date de signature (pvd:signedOn), non recopiée. Convention through which the participant entered the programme (PVD convention d'adhésion, ACV framework convention, ORT convention, CRTE contract); the joining date is its signing date (pvd:signedOn), not copied.
    ledBy: URIRef  # Relie un programme à l'organisation qui le pilote. Links a programme to the organisation that steers it.
    legalNature: URIRef  # Code de nature juridique d'un groupement tel que la liste ANCT des CRTE l'écrit (PETR, POLEM, SMO, SMF, ASSO, EPT…). Legal-form code of a grouping as the ANCT list of CRTE writes it (PETR, POLEM, SMO, SMF, ASSO, EPT…).
    listedForDepartement: URIRef  # Relie un CRTE à chaque département (colonne dep_chef_file) pour lequel la liste ANCT le mentionne ; un CRTE interdépartemental y est répété pour chacun de ses départements. Links a CRTE to each département (column dep_chef_file) for which the ANCT list mentions it; an inter-departmental CRTE is repeated there for each of its départements.
    listedIn: URIRef  # Relie une participation à chaque liste officielle (source importée, avec son millésime dcterms:temporal) qui nomme le participant dans le programme ; la plus ancienne date la sélection. Links a participation to each official list (imported source, with its vintage dcterms:temporal) that names the participant in the programme; the oldest dates the selection.
    memberOf: URIRef  # Relie une commune à l'EPCI à fiscalité propre dont elle est membre. Links a commune to the inter-municipal body with its own taxation it belongs to.
    ortStatus: URIRef  # État de la convention de l'opération tel que le tableau de suivi DGALN/ANCT le donne : « Signée », « Non signée » ou « En cours » ; absent quand le tableau ne le dit pas. Status of the operation's convention as the DGALN/ANCT tracking table gives it: "Signée", "Non signée" or "En cours"; absent when the table does not say.
    partOf: URIRef  # Relie une convention à la convention-cadre (« chapeau ») dont elle relève. Links a convention to the umbrella framework convention it belongs to.
    participant: URIRef  # Territoire qui participe, dans une participation qualifiée. Territory taking part, in a qualified participation.
    participatesIn: URIRef  # Relie un territoire à un programme auquel il participe. Links a territory to a programme it takes part in.
    participationStatus: URIRef  # Où en est la participation, dans les termes de la source ou de la règle documentée qui le dérive (par exemple « adhérente », « Signée »). Where the participation stands, in the words of its source or of the documented rule that derives it (for example "adhérente", "Signée").
    partner: URIRef  # Relie un programme à une organisation partenaire qui le soutient. Links a programme to a partner organisation supporting it.
    plannedSigning: URIRef  # Date ou période de signature envisagée d'une convention d'ORT non signée, telle que le tableau de suivi l'écrit (« 4e trimestre 2023 », « 08/02/2024 »). Planned signing date or period of an ORT convention not yet signed, as the tracking table writes it.
    population: URIRef  # Nombre d'habitants du territoire (population municipale du millésime du code officiel géographique enregistré). Number of inhabitants of the territory (municipal population of the recorded official geographic code vintage).
    programmeId: URIRef  # Identifiant attribué par le gestionnaire du programme dans ses fichiers (par exemple « acv-001 »). Identifier given by the programme's manager in its files (for example "acv-001").
    rowsAccepted: URIRef  # Nombre de lignes d'un fichier source importées dans le graphe. Number of rows of a source file imported into the graph.
    rowsRead: URIRef  # Nombre de lignes (ou d'objets) lues dans un fichier source lors de l'import. Number of rows (or features) read from a source file during import.
    rowsRejected: URIRef  # Nombre de lignes d'un fichier source refusées à l'import (voir le fichier des rejets). Number of rows of a source file refused at import (see the rejects file).
    signatory: URIRef  # Relie une convention à une collectivité ou une organisation qui l'a signée. Links a convention to a local authority or organisation that signed it.
    signedOn: URIRef  # Date de signature de la convention. Date the convention was signed.
    siren: URIRef  # Numéro SIREN à neuf chiffres (clé de Luhn) d'une personne morale au répertoire SIRENE. Nine-digit SIREN number (Luhn checksum) of a legal person in the SIRENE register.
    startYear: URIRef  # Obsolète : l'entrée dans le programme est la date de signature (pvd:signedOn) de la convention pvd:joinedThrough, la sélection le plus ancien millésime des listes pvd:listedIn (MODELLING.md §1). Année où la participation au programme a commencé (adhésion). Year the participation in the programme began (joining).
    supraGrouping: URIRef  # Relie un CRTE à un groupement supra-communautaire que la liste ANCT lui donne (colonnes siren_grp_supra, lib_grp_supra, nat_jur_grp_supra : PETR, pôle métropolitain, syndicat…), autre que ses propres groupements. Links a CRTE to a supra-communal grouping the ANCT list gives it (columns siren_grp_supra, lib_grp_supra, nat_jur_grp_supra: PETR, metropolitan hub, syndicate…), other than its own groupings.
    underProgramme: URIRef  # Relie une convention au programme qu'elle met en œuvre. Links a convention to the programme it carries out.
