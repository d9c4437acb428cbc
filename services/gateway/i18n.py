"""Dutch first, English second. Texts are written in English in the code and templates;
this table gives the Dutch (plain language, B1 level)."""

from markupsafe import Markup

from services.gateway.icons import pictogram
from shared.categories import LABELS, Category

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"

# The languages a volunteer can choose from, each named in itself (so a speaker finds their
# own); the codes behind are what matching compares with a request's languages.
SPOKEN_LANGUAGES: dict[str, str] = {
    "nl": "Nederlands",
    "en": "English",
    "tr": "Türkçe",
    "ar": "العربية",
    "ber": "Tamazight/Berber",
    "pl": "Polski",
    "pap": "Papiamentu",
    "srn": "Sranantongo",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "pt": "Português",
    "so": "Soomaali",
    "ti": "ትግርኛ (Tigrinya)",
    "fa": "فارسی",
    "uk": "Українська",
    "ru": "Русский",
    "bg": "Български",
    "ro": "Română",
    "zh": "中文",
    "dse": "Nederlandse Gebarentaal",
}

NL: dict[str, str] = {
    # navigation and common
    "Samen": "Samen",
    "Skip to content": "Direct naar de inhoud",
    "Home": "Start",
    "Ask for help": "Hulp vragen",
    "My requests": "Mijn hulpvragen",
    "Offer help": "Hulp bieden",
    "My proposals": "Mijn voorstellen",
    "Inbox": "Berichten",
    "Social map": "Sociale kaart",
    "Coordinator board": "Overzicht coördinator",
    "Reports": "Cijfers",
    "Log in": "Inloggen",
    "Log out": "Uitloggen",
    "Register": "Aanmelden",
    "Main menu": "Hoofdmenu",
    "Language": "Taal",
    "Signed in as": "Ingelogd als",
    "Save": "Opslaan",
    "Send": "Versturen",
    "Search": "Zoeken",
    "Back": "Terug",
    "Yes": "Ja",
    "No": "Nee",
    "Updated": "Bijgewerkt",
    "Something went wrong": "Er ging iets mis",
    "Please check the form": "Kijk het formulier even na",
    "Neighbourhood care in Utrecht": "Burenhulp in Utrecht",
    "Neighbours help neighbours. Ask for help with groceries, a lift, a visit or a form, "
    "or offer help yourself.": "Buren helpen buren. Vraag hulp bij boodschappen, vervoer, "
    "een bezoekje of een formulier, of help zelf mee.",
    "Already have an account?": "Heeft u al een account?",
    "New here?": "Nieuw hier?",
    "Forgot your password?": "Wachtwoord vergeten?",
    "Set a new password": "Nieuw wachtwoord instellen",
    "Send me a link": "Stuur mij een link",
    "Fill in your e-mail address. We will send you a link to set a new password.": (
        "Vul uw e-mailadres in. We sturen u een link om een nieuw wachtwoord in te stellen."
    ),
    "If this address is known to us, you will get an e-mail with a link to set a new password.": (
        "Als dit adres bij ons bekend is, krijgt u een e-mail met een link om een nieuw "
        "wachtwoord in te stellen."
    ),
    "The link works for one hour. Did you get nothing? Look in your spam folder too.": (
        "De link werkt een uur. Niets gekregen? Kijk ook bij uw ongewenste e-mail (spam)."
    ),
    "New password": "Nieuw wachtwoord",
    "Save password": "Wachtwoord opslaan",
    "This link has been used already. Ask for a new one if you need it.": (
        "Deze link is al gebruikt. Vraag een nieuwe aan als u die nodig hebt."
    ),
    "This link has expired. Ask for a new one.": "Deze link is verlopen. Vraag een nieuwe aan.",
    "This link is not valid. Ask for a new one.": (
        "Deze link is niet geldig. Vraag een nieuwe aan."
    ),
    "Ask for a new link": "Nieuwe link aanvragen",
    "Your new password is set. Log in with it.": (
        "Uw nieuwe wachtwoord is ingesteld. Log ermee in."
    ),
    # register and log in
    "Your name": "Uw naam",
    "E-mail address": "E-mailadres",
    "Password": "Wachtwoord",
    "At least 8 characters": "Minstens 8 tekens",
    "Postcode": "Postcode",
    "House number": "Huisnummer",
    "Phone number (optional)": "Telefoonnummer (niet verplicht)",
    "I also want to help others (volunteer)": "Ik wil ook anderen helpen (vrijwilliger)",
    "My details may be used to find a match in my neighbourhood": (
        "Mijn gegevens mogen gebruikt worden om iemand in mijn buurt te vinden"
    ),
    "The person I am matched with may see my phone number": (
        "Degene met wie ik gekoppeld word mag mijn telefoonnummer zien"
    ),
    "Create account": "Account maken",
    "Welcome! You are signed in.": "Welkom! U bent ingelogd.",
    "You are signed out.": "U bent uitgelogd.",
    "Thank you. We have sent you an e-mail. Log in with your e-mail address and password.": (
        "Dank u. We hebben u een e-mail gestuurd. Log in met uw e-mailadres en wachtwoord."
    ),
    "Too many failed attempts. Wait {seconds} seconds and try again.": (
        "Te vaak een verkeerd wachtwoord. Wacht {seconds} seconden en probeer het opnieuw."
    ),
    # asking for help
    "What do you need help with?": "Waar heeft u hulp bij nodig?",
    "Tell us in one or two sentences": "Vertel het in een of twee zinnen",
    "When?": "Wanneer?",
    "Any time": "Maakt niet uit",
    "On a day": "Op een dag",
    "Day": "Dag",
    "Part of the day": "Dagdeel",
    "Morning": "Ochtend",
    "Afternoon": "Middag",
    "Evening": "Avond",
    "It is urgent (today)": "Het is dringend (vandaag)",
    "Your request has been sent. We are looking for a neighbour to help.": (
        "Uw hulpvraag is verstuurd. We zoeken een buur die kan helpen."
    ),
    # requests
    "You have not asked for help yet.": "U heeft nog geen hulp gevraagd.",
    "State": "Stand van zaken",
    "Asked on": "Gevraagd op",
    "Needed": "Nodig",
    "flexible": "flexibel",
    "urgent": "dringend",
    "helps you": "helpt u",
    "You help": "U helpt",
    "Phone": "Telefoon",
    "Cancel request": "Hulpvraag intrekken",
    "Help was given": "De hulp is gegeven",
    "Hours": "Uren",
    "How did it go? (optional)": "Hoe ging het? (niet verplicht)",
    "Request": "Hulpvraag",
    "This page updates by itself.": "Deze pagina werkt zichzelf bij.",
    # states
    "state.open": "Open: we zoeken iemand",
    "state.proposed": "Gevraagd aan vrijwilligers",
    "state.matched": "Gekoppeld: er komt iemand helpen",
    "state.done": "Klaar",
    "state.escalated": "Bij de coördinator",
    "state.cancelled": "Ingetrokken",
    "state.expired": "Verlopen",
    # volunteers
    "What can you help with?": "Waarmee kunt u helpen?",
    "When are you available?": "Wanneer kunt u?",
    "Whenever it suits (flexible)": "Wanneer het uitkomt (flexibel)",
    "How far will you travel (km)?": "Hoe ver wilt u reizen (km)?",
    "Languages you speak": "Talen die u spreekt",
    "At most this many open requests at once": "Hoogstens zoveel hulpvragen tegelijk",
    "I am available now (untick when you are on holiday)": (
        "Ik ben nu beschikbaar (vink uit als u op vakantie bent)"
    ),
    "Your profile is saved.": "Uw profiel is opgeslagen.",
    "Other times": "Andere tijden",
    "Times that are not a whole part of the day. Choose no day to remove a row.": (
        "Tijden die geen heel dagdeel zijn. Kies geen dag om een regel te verwijderen."
    ),
    "no day": "geen dag",
    "Choose a day and both times, with the end after the start.": (
        "Kies een dag en beide tijden, met het einde na het begin."
    ),
    "Choose languages from the list.": "Kies talen uit de lijst.",
    "Choose at least one language.": "Kies minstens één taal.",
    "weekday.0": "Maandag",
    "weekday.1": "Dinsdag",
    "weekday.2": "Woensdag",
    "weekday.3": "Donderdag",
    "weekday.4": "Vrijdag",
    "weekday.5": "Zaterdag",
    "weekday.6": "Zondag",
    # proposals
    "No proposals right now.": "Op dit moment geen voorstellen.",
    "Accept": "Ja, ik help",
    "Decline": "Nee, bedankt",
    "Answer before": "Antwoord voor",
    "Thank you! You help with this request.": "Dank u wel! U helpt met deze hulpvraag.",
    "Thank you for letting us know.": "Bedankt voor het laten weten.",
    "proposal.pending": "Wacht op uw antwoord",
    "proposal.accepted": "U helpt",
    "proposal.declined": "Afgeslagen",
    "proposal.expired": "Verlopen",
    "proposal.withdrawn": "Al door iemand anders opgepakt",
    "Do you want to help with this request?": "Wilt u helpen met deze hulpvraag?",
    "Do you want to decline this request?": "Wilt u deze hulpvraag afslaan?",
    "You said yes to this request.": "U heeft ja gezegd op deze hulpvraag.",
    "You declined this request.": "U heeft deze hulpvraag afgeslagen.",
    "You said yes to this request already.": "U heeft al ja gezegd op deze hulpvraag.",
    "You declined this request already.": "U heeft deze hulpvraag al afgeslagen.",
    "Someone else already helps with this request.": "Iemand anders helpt al met deze hulpvraag.",
    "The time to answer has passed.": "De tijd om te antwoorden is voorbij.",
    "This proposal is no longer open.": "Dit voorstel staat niet meer open.",
    # inbox
    "No messages.": "Geen berichten.",
    "Mark as read": "Markeer als gelezen",
    "unread": "ongelezen",
    # social map
    "Local services and activities": "Diensten en activiteiten in de buurt",
    "Search words": "Zoekwoorden",
    "Category": "Soort hulp",
    "All": "Alles",
    "Area code (optional)": "Gebiedscode (niet verplicht)",
    "Nothing found.": "Niets gevonden.",
    # coordinator
    "Requests in your area": "Hulpvragen in uw gebied",
    "Escalated": "Bij de coördinator",
    "No requests here.": "Hier zijn geen hulpvragen.",
    "Match by hand": "Zelf koppelen",
    "Possible volunteers": "Mogelijke vrijwilligers",
    "Match": "Koppelen",
    "distance": "afstand",
    "open assignments": "lopende klussen",
    "The request is matched.": "De hulpvraag is gekoppeld.",
    "Requester": "Hulpvrager",
    "reason.no_candidates": "niemand gevonden",
    "reason.rounds_exhausted": "niemand reageerde",
    "reason.no_matching_consent": "geen toestemming om te koppelen: met de hand",
    "You did not agree to your details being used to find a match, so no volunteer is asked automatically: a coordinator will contact you. You can change this under My details.": (  # noqa: E501
        "U gaf geen toestemming om uw gegevens te gebruiken om een match te zoeken. Daarom "
        "vragen we niet vanzelf een vrijwilliger: een coördinator neemt contact met u op. U "
        "kunt dit veranderen bij Mijn gegevens."
    ),
    "reason.declined_by_all": "iedereen sloeg af",
    "reason.manual": "doorgezet",
    "No volunteers found.": "Geen vrijwilligers gevonden.",
    # reports
    "Figures": "Cijfers",
    "Area": "Gebied",
    "From": "Van",
    "To": "Tot",
    "Show": "Toon",
    "Download as CSV": "Download als CSV",
    "Requests per week by state": "Hulpvragen per week, naar stand van zaken",
    "Time to match (median hours) per week": "Tijd tot koppeling (mediaan in uren) per week",
    "Requests per neighbourhood": "Hulpvragen per buurt",
    "Requests": "Hulpvragen",
    "Matched": "Gekoppeld",
    "Match rate": "Deel gekoppeld",
    "Median time to match (hours)": "Mediaan tijd tot koppeling (uren)",
    "Escalations": "Naar de coördinator",
    "Volunteer hours": "Uren vrijwilligerswerk",
    "Active volunteers": "Actieve vrijwilligers",
    "Week of": "Week van",
    "none": "geen",
    "few": "weinig",
    "many": "veel",
    "fewer than 5 (hidden)": "minder dan 5 (verborgen)",
    "Groups smaller than 5 are hidden, so nobody can be recognised.": (
        "Groepen kleiner dan 5 zijn verborgen, zodat niemand te herkennen is."
    ),
    "Unmet requests per neighbourhood": "Niet gekoppelde hulpvragen per buurt",
    "Neighbourhood": "Buurt",
    "hours": "uur",
    # information point
    "Register a resident": "Bewoner aanmelden",
    # the coordinator's board: finding, closing, cancelling, handing on; the audit log
    "Who looked at what": "Wie keek naar wat",
    "Find requests": "Hulpvragen zoeken",
    "Request number": "Nummer van de hulpvraag",
    "Kind of help": "Soort hulp",
    "Show all": "Alles tonen",
    "Nr.": "Nr.",
    "Close with a note": "Afsluiten met een notitie",
    "Cancel the request": "Hulpvraag stoppen",
    "Give it to another volunteer": "Aan een andere vrijwilliger geven",
    "Give it to": "Geef aan",
    "Are you sure? The request stops.": "Weet u het zeker? De hulpvraag stopt.",
    "The volunteer who was asked or matched hears it is off.": (
        "De vrijwilliger die gevraagd of gekoppeld was, hoort dat het niet doorgaat."
    ),
    "Close the request as done, for instance when help was arranged another way.": (
        "Sluit de hulpvraag af als klaar. Bijvoorbeeld als de hulp op een andere manier "
        "geregeld is."
    ),
    "Why (optional)": "Waarom (mag leeg blijven)",
    "What happened": "Wat is er gebeurd",
    "Hours of help (optional)": "Uren hulp (mag leeg blijven)",
    "Yes, cancel it": "Ja, stop de hulpvraag",
    "Close the request": "Hulpvraag afsluiten",
    "No, go back": "Nee, ga terug",
    "The request has been given to the other volunteer.": (
        "De hulpvraag is aan de andere vrijwilliger gegeven."
    ),
    "The request is cancelled.": "De hulpvraag is gestopt.",
    "The request is closed.": "De hulpvraag is afgesloten.",
    "Every time someone's details or request are opened on the board, it is written down here.": (
        "Elke keer dat iemands gegevens of hulpvraag worden geopend, staat dat hier."
    ),
    "As an admin you see everyone's.": "Als beheerder ziet u dat van iedereen.",
    "You see your own.": "U ziet wat u zelf hebt geopend.",
    "Nothing yet.": "Nog niets.",
    "When": "Wanneer",
    "Who": "Wie",
    "What": "Wat",
    "member": "lid",
    "audit.request.view": "Hulpvraag bekeken",
    "audit.member.view": "Gegevens bekeken",
    "audit.members.import": "Lijst ingelezen",
    # importing a list at the information point
    "Import a list": "Lijst inlezen",
    "Upload a list of residents and volunteers (a CSV file, as a spreadsheet saves it).": (
        "Lees een lijst met bewoners en vrijwilligers in. Dat is een CSV-bestand, zoals een "
        "spreadsheet het opslaat."
    ),
    "One person per row.": "Elke rij is één persoon.",
    "The first row names the columns: at least name, postcode and house_number.": (
        "De eerste rij geeft de namen van de kolommen: minstens name, postcode en house_number."
    ),
    "Also possible: email, phone, language, roles, categories, availability.": (
        "Mag ook: email, phone, language, roles, categories, availability."
    ),
    "People without an e-mail address or phone are reached through you.": (
        "Mensen zonder e-mailadres of telefoon bereiken we via u."
    ),
    "People who are in the list twice, or were imported before, are added once.": (
        "Staat iemand twee keer in de lijst, of is hij al eerder ingelezen? Dan komt hij er maar "
        "één keer in."
    ),
    "The file": "Het bestand",
    "Import": "Inlezen",
    "Choose the file to import.": "Kies het bestand dat u wilt inlezen.",
    "The file is empty.": "Het bestand is leeg.",
    "This is not a CSV file.": "Dit is geen CSV-bestand.",
    "The file is in. The import starts in a moment.": (
        "Het bestand is binnen. Het inlezen begint zo."
    ),
    "Checking the rows:": "Rijen nakijken:",
    "Importing:": "Inlezen:",
    "{done} of {rows}": "{done} van {rows}",
    "Progress": "Voortgang",
    "Show how far it is": "Laat zien hoe ver het is",
    "The import did not work": "Het inlezen is niet gelukt",
    "Done.": "Klaar.",
    "{imported} people added, of whom {volunteers} volunteers.": (
        "{imported} mensen toegevoegd, van wie {volunteers} vrijwilligers."
    ),
    "{count} were added before.": "{count} waren er al.",
    "Rows that were not added": "Rijen die niet zijn toegevoegd",
    "Correct these rows in the file and upload it again: nobody is added twice.": (
        "Verbeter deze rijen in het bestand en lees het opnieuw in. Niemand komt er twee keer in."
    ),
    "Row": "Rij",
    "Why": "Waarom",
    "Only the first {count} are shown.": "Alleen de eerste {count} staan hier.",
    "Import another list": "Nog een lijst inlezen",
    "Back to the board": "Terug naar het overzicht",
    "postcode: this address lies outside your cooperative's areas": (
        "postcode: dit adres ligt buiten de wijken van uw coöperatie"
    ),
    "the import stopped on an error; upload it again": (
        "het inlezen stopte door een fout. Lees het bestand opnieuw in."
    ),
    "Notice board": "Prikbord",
    "Name": "Naam",
    "optional": "niet verplicht",
    "Without an e-mail address the resident is reached through you.": (
        "Zonder e-mailadres bereiken we de bewoner via u."
    ),
    "Neighbours who could use a hand. Can you help? Ask at the living room or sign up on "
    "this site.": (
        "Buren die wel wat hulp kunnen gebruiken. Kunt u helpen? Vraag het in de "
        "buurtkamer of meld u aan op deze site."
    ),
    # my details
    "My details": "Mijn gegevens",
    "Consent": "Toestemming",
    "The person I am matched with may see my e-mail address": (
        "Degene met wie ik gekoppeld word mag mijn e-mailadres zien"
    ),
    "Notifications": "Berichten instellen",
    "Your data": "Uw gegevens",
    "Download everything we hold about you": "Download alles wat we van u bewaren",
    "Yes, delete my account and my personal data": (
        "Ja, verwijder mijn account en mijn persoonlijke gegevens"
    ),
    "Delete my account": "Account verwijderen",
    "Messages always arrive in your inbox on this site.": (
        "Berichten komen altijd binnen bij Berichten op deze site."
    ),
    "Change your e-mail address": "Uw e-mailadres wijzigen",
    "New e-mail address": "Nieuw e-mailadres",
    "We send a link to the new address. Your address changes once you open it.": (
        "We sturen een link naar het nieuwe adres. Uw adres verandert pas als u die opent."
    ),
    "Send the link": "Stuur de link",
    "We have sent a link to the new address. Your address changes once you open that link.": (
        "We hebben een link naar het nieuwe adres gestuurd. Uw adres verandert pas als u die "
        "link opent."
    ),
    "Your new e-mail address is confirmed. Log in with it from now on.": (
        "Uw nieuwe e-mailadres is bevestigd. Log er vanaf nu mee in."
    ),
    "This is your e-mail address already.": "Dit is al uw e-mailadres.",
    "Fill in an e-mail address, such as name@example.nl.": (
        "Vul een e-mailadres in, zoals naam@voorbeeld.nl."
    ),
    "Confirm your new e-mail address": "Bevestig uw nieuwe e-mailadres",
    "From now on, use this address to log in and to get our messages:": (
        "Gebruik vanaf nu dit adres om in te loggen en om onze berichten te krijgen:"
    ),
    "Confirm this address": "Dit adres bevestigen",
    "Back on (optional)": "Weer beschikbaar op (niet verplicht)",
    "When you are not available now, we ask you again from this day on. Leave it empty to "
    "turn it back on yourself.": (
        "Als u nu niet beschikbaar bent, vragen we u vanaf deze dag weer. Laat het leeg als "
        "u het zelf weer aanzet."
    ),
    "Where should messages go? In order of preference": (
        "Waar moeten berichten heen? Op volgorde van voorkeur"
    ),
    "First choice": "Eerste keuze",
    "Second choice": "Tweede keuze",
    "Third choice": "Derde keuze",
    "E-mail": "E-mail",
    "Text message or chat app (below)": "Sms of chat-app (hieronder)",
    "Only the inbox on this site": "Alleen bij Berichten op deze site",
    "Text message, Signal or Telegram": "Sms, Signal of Telegram",
    "Remove": "Verwijderen",
    "You have not added an address yet.": "U heeft nog geen adres toegevoegd.",
    "Add an address (an Apprise URL, such as tgram://... for Telegram)": (
        "Adres toevoegen (een Apprise-adres, zoals tgram://... voor Telegram)"
    ),
    "Your coordinator can help you make one. We show it only partly after saving.": (
        "Uw coördinator kan u helpen er een te maken. Na het opslaan laten we maar een deel zien."
    ),
    "Language of messages": "Taal van berichten",
    "Requests that need a coordinator": "Hulpvragen die een coördinator nodig hebben",
    "Tell me at once": "Meteen laten weten",
    "Once a day, in one message": "Eén keer per dag, in één bericht",
    "At": "Om",
    "Check that messages reach you: we send a test message the way all messages go.": (
        "Kijk of berichten bij u aankomen: we sturen een testbericht zoals alle berichten gaan."
    ),
    "Send me a test message": "Stuur mij een testbericht",
    "A test message is on its way. It also shows in your inbox on this site.": (
        "Er is een testbericht onderweg. U ziet het ook bij Berichten op deze site."
    ),
    "This kind of address cannot be used here. Ask your coordinator which ones work.": (
        "Dit soort adres kan hier niet. Vraag uw coördinator welke wel werken."
    ),
    "This address does not work. Check it and try again.": (
        "Dit adres werkt niet. Kijk het na en probeer het opnieuw."
    ),
    "Only coordinators choose a daily digest.": (
        "Alleen coördinatoren kiezen voor één bericht per dag."
    ),
    "Quiet hours (no messages, unless urgent)": (
        "Rusttijd (geen berichten, behalve als het dringend is)"
    ),
    # errors
    "Not signed in": "Niet ingelogd",
    "Bad request": "Ongeldig verzoek",
    "Method not allowed": "Dit kan hier niet",
    "Request too large": "Te groot",
    "Unsupported media type": "Onbekend formaat",
    "Not allowed": "Niet toegestaan",
    "Not found": "Niet gevonden",
    "Invalid input": "Ongeldige invoer",
    "Too many attempts": "Te veel pogingen",
    "Conflict": "Gaat niet",
    "Temporarily unavailable": "Tijdelijk niet beschikbaar",
    "Internal error": "Er ging iets mis",
    "The form has expired. Please try again.": "Het formulier is verlopen. Probeer het opnieuw.",
}


def translate(text: str, language: str) -> str:
    if language == "en":
        if "." in text and text.split(".")[0] in {"state", "proposal", "weekday", "reason"}:
            return EN_KEYS.get(text, text.split(".", 1)[1].replace("_", " "))
        return text
    return NL.get(text, text)


EN_KEYS: dict[str, str] = {
    "state.open": "Open: looking for someone",
    "state.proposed": "Asked volunteers",
    "state.matched": "Matched: someone will help",
    "state.done": "Done",
    "state.escalated": "With the coordinator",
    "state.cancelled": "Cancelled",
    "state.expired": "Expired",
    "proposal.pending": "Waiting for your answer",
    "proposal.accepted": "You help",
    "proposal.declined": "Declined",
    "proposal.expired": "Expired",
    "proposal.withdrawn": "Already taken by someone else",
    "weekday.0": "Monday",
    "weekday.1": "Tuesday",
    "weekday.2": "Wednesday",
    "weekday.3": "Thursday",
    "weekday.4": "Friday",
    "weekday.5": "Saturday",
    "weekday.6": "Sunday",
    "reason.no_candidates": "nobody found",
    "reason.rounds_exhausted": "nobody answered",
    "reason.no_matching_consent": "no consent to match: by hand",
    "reason.declined_by_all": "everyone declined",
    "reason.manual": "passed on",
}


def category_label(category: str, language: str) -> str:
    label = LABELS[Category(category)]
    return label.en if language == "en" else label.nl


def category_icon(category: str) -> Markup:
    return pictogram(category)
