"""Names people use for local authorities that the documents' own names do not give away.

Welsh councils have a Welsh and an English name (Wrecsam / Wrexham); a few English authorities are
usually shortened. Everything else is derived from the authority names found in the index.
"""

WELSH_ENGLISH = {
    "wrecsam": "wrexham",
    "caerdydd": "cardiff",
    "abertawe": "swansea",
    "casnewydd": "newport",
    "sir ddinbych": "denbighshire",
    "sir y fflint": "flintshire",
    "ynys mon": "isle of anglesey",
    "ynys môn": "isle of anglesey",
    "anglesey": "isle of anglesey",
    "sir benfro": "pembrokeshire",
    "sir gaerfyrddin": "carmarthenshire",
    "castell nedd port talbot": "neath port talbot",
    "pen y bont ar ogwr": "bridgend",
    "bro morgannwg": "vale of glamorgan",
    "merthyr tudful": "merthyr tydfil",
    "caerffili": "caerphilly",
    "tor faen": "torfaen",
    "sir fynwy": "monmouthshire",
}

SHORT_FORMS = {
    "bcp": "bournemouth christchurch and poole",
    "hull": "kingston upon hull",
    "southend": "southend on sea",
    "stockton": "stockton on tees",
    "stoke": "stoke on trent",
    "newcastle": "newcastle upon tyne",
    "east riding": "east riding of yorkshire",
    "banes": "bath and north east somerset",
    "city of london": "london corporation",
}

# Words that say what kind of council it is, dropped to get the place name.
COUNCIL_WORDS = (
    "county borough council", "metropolitan borough council", "borough council", "city and county council",
    "city council", "county council", "district council", "council", "london borough of", "royal borough of",
    "city of", "county of", "metropolitan borough of",
)
