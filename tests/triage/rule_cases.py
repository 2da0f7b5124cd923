"""Conversation cases for every red-flag rule: how runners say it (lay words and typos), and
the nearby things that must NOT fire it (denials, history, harmless look-alikes).

Each entry: rule id -> {"fires": [...], "quiet": [...]}. An item is one message, or a tuple of
messages for a conversation. `test_rule_coverage.py` checks every rule with a level is here.
"""

from __future__ import annotations

Case = str | tuple[str, ...]

CASES: dict[str, dict[str, list[Case]]] = {
    # ---------------------------------------------------------------- cauda equina (emergency)
    "saddle_numbness": {
        "fires": [
            "I can't feel the toilet paper when I wipe",
            "numb bum since yesterday and my back is sore",
            "numbb whn i wipe",  # typos
            "pins and needles in my crotch",
            "the saddle area feels dead",
            "it feels like I'm sitting on a block of ice down below",
            "my privates feel numb",
            "there's a deadness in my groin area",
            "my backside has gone dead and so has the inside of my thighs",
        ],
        "quiet": [
            "no numbness when I wipe, just a sore back",
            "I don't have any numbness down there",
            "the bottom of my foot is numb after long runs",
            "years ago I had numbness down there but it fully resolved",
        ],
    },
    "bladder_change": {
        "fires": [
            "peeing is weird since my back went",
            "I have to strain to pee",
            "can't get my wee started",
            "my stream is really weak now",
            "didn't realise I'd wet myself",
            "I've been leaking since my back flared up",
            "I cant pee at all",
            "I don't know if I need to go, I can't tell if my bladder is full",
            "weeing takes forever to start now and the flow is pathetic",
            "my dad can't feel it when he needs a wee",
            "I wet the bed last night and I'm 40",
            "I've had trouble starting to pee since my back flared up",  # any verb form
            "ive had truble startng to pee",  # typos
            "I have difficulty passing urine",
            "it takes ages to start peeing now",
        ],
        "quiet": [
            "no bladder issues, just stiffness",
            "my bladder and bowels are fine",
            "I need to pee a lot before races",
            "a wee bit stiff after the hills",
            "I used to have bladder problems after my second baby, all sorted now",
            "no trouble starting to pee, just a stiff back",
        ],
    },
    "bowel_change": {
        "fires": [
            "I pooed myself and didn't feel it",
            "can't feel when I poo or fart",
            "lost control of my bowels this morning",
            "I couldn't hold it, I had an accident in my shorts",
        ],
        "quiet": [
            "bowels are normal",
            "I had to stop for an emergency poo on my long run, stomach bug from gels",
            "no problems with my bowels",
        ],
    },
    "sexual_dysfunction": {
        "fires": [
            "can't get an erection since the back pain",
            "sex felt numb last night",
            "I've had trouble getting it up since my back went",
        ],
        "quiet": ["no problems with erections or sex, just back ache"],
    },
    "bilateral_leg_symptoms": {
        "fires": [
            "sciatica in both legs now",
            "both legs are tingling",
            "it's gone into the other leg",
            "pins and needles in both feet",
            "shooting pain down both legs",
            "my legs feel numb",
            "bothh legs numm",  # typos
        ],
        "quiet": [
            "both legs are tired after the marathon",
            "my hamstrings are tight on both sides",
            "no tingling in either leg",
            "I used to get pins and needles in both legs as a teenager, haven't had it since",
        ],
    },
    "motor_deficit": {
        "fires": [
            "my legs keep giving way",
            "my foot is slapping when I walk",
            "I keep dragging my toes and tripping",
            "I can't walk on my heels",
            "I can't stand on tiptoe",
            "legs feel heavy and weak",
            "my foot flops when I walk",
            "my foot thuds down when I walk and I can't lift it",
            "my toes won't come up when I walk",
            # the runner's own harmless guess, asked back, does not cancel it
            "my foot has been slapping on the ground since last week's run, that's normal fatigue, right?",
            "my foot has been slappin since last weeks run, thats just fatigue right?",  # typos
        ],
        "quiet": [
            "my legs felt like jelly at the end of the marathon",
            "I tripped on a root on the trail",
            "I can walk on my heels and toes fine",
            "I dragged my feet getting out the door this morning",
            "my feet slap the ground when I run, is that overstriding?",
            "my foot hasn't been slapping, I'm just tired after the long run, that's normal, right?",
            "my legs feel heavy and weak when I'm tired, is that normal?",
        ],
    },
    "progressive_deficit": {
        "fires": [
            "the numbness is spreading",
            "my leg is getting weaker every day",
            "the numb patch on my shin is getting bigger",
        ],
        "quiet": ["my back pain is getting better", "the numbness has settled"],
    },
    "ces_screen_positive": {
        "fires": [
            ("I get sciatica on long runs", "yes"),
            ("my leg feels numb", "not sure"),
            "I think I have cauda equina",
            "I've had cauda equina symptoms since yesterday",
        ],
        "quiet": [
            ("I get sciatica on long runs", "no"),
            "what is cauda equina?",
            # naming a condition is not a symptom
            "Can you rule out cauda equina for me? I don't have any other symptoms.",
            "can u rule out cauda equina for me",  # typos
        ],
    },
    # ---------------------------------------------------------------- other emergencies
    "aortic_emergency": {
        "fires": [
            "worst pain of my life came on suddenly in my back",
            "tearing pain through to my back",
            "there's a throbbing lump in my tummy and my back hurts",
            "I feel faint and clammy with this back pain",
            "sudden horrible pain in my back and I'm pale and sweating",
        ],
        "quiet": ["I tore my calf muscle last month", "sharp pain in my back when I bend over"],
    },
    "cardiac_or_pulmonary": {
        "fires": [
            "my chest is tight and it goes into my back",
            "crushing pain in my chest",
            "pain spreading down my left arm",
            "I suddenly got short of breath sitting down",
            "chst pain and back pain",  # typo
            "My chest gets tight and it goes into my back when I run, and I get short of breath.",
            "my chest gets tite and it goes into my bak",  # slang spelling, typo
            "my chest keeps going really heavy on runs",
        ],
        "quiet": [
            "I get out of breath on hills",
            "I've never had chest pain",
            "No chest tightness or shortness of breath, my back is just stiff when I run.",
        ],
    },
    "collapse": {
        "fires": ["I collapsed at the end of my run", "I passed out after parkrun and my back hurts"],
        "quiet": ["my arches have collapsed", "I didn't pass out or anything, just sore"],
    },
    "major_trauma": {
        "fires": [
            "car crash this morning and now my back hurts",
            "fell off a ladder yesterday",
            "I was hit by a car while running",
        ],
        "quiet": ["I was in a car crash ten years ago, all healed", "I watch a lot of car racing"],
    },
    "infection_with_nerve_symptoms": {
        "fires": [
            "fever, back pain and now my leg is numb",
            ("I've had a fever since last night", "now my left leg is tingling"),
        ],
        "quiet": ["no fever, and my leg isn't numb"],
    },
    "trauma_fragility_with_nerve_symptoms": {
        "fires": [("I have osteoporosis", "I fell on the ice yesterday and now my leg is numb")],
        "quiet": [("I have osteoporosis", "no falls, no numbness")],
    },
    # ---------------------------------------------------------------- urgent
    "one_sided_weakness": {
        "fires": [
            "my left leg feels weak",
            "I can't push off with my right foot",
            "weakness in my right leg since my back went",
        ],
        "quiet": ["my physio says my left glute is weak", "no weakness in my legs"],
    },
    "weight_loss_unexplained": {
        "fires": [
            "lost a stone without trying",
            "I'm losing weight for no reason",
            "unexplained weight loss and back pain",
        ],
        "quiet": ["I've lost weight since I started training for the marathon", "I'm not losing weight"],
    },
    "night_pain_unrelenting": {
        "fires": [
            "the pain wakes me at night and nothing I do eases it",
            "at night no position is comfortable",
        ],
        "quiet": ["I sleep fine", "no night pain"],
    },
    "renal_colic": {
        "fires": [
            "pain from my side to my groin that comes in waves",
            "loin to groin pain",
            "blood in my pee",
        ],
        "quiet": ["no blood in my urine", "my groin is tight after hill sprints"],
    },
    "fracture_suspicion": {
        "fires": [
            "slipped on the ice and landed on my tailbone, there's a bruise over my spine now",
            "fell off the wall and came down on my spine, one bone is tender to touch",
        ],
        "quiet": ["I bruised my shin on a hurdle, back is fine"],
    },
    "new_pain_over_50": {
        "fires": [
            "I'm 58 and my back hurts for the first time after lifting a box",
            ("I'm 63", "never had back pain before but it started last week out of nowhere"),
        ],
        "quiet": ["I'm 55 and my back has ached on and off since my twenties, same as always"],
    },
    "pregnancy_warning": {
        "fires": ["my period is late and my low back hurts", "I have some vaginal bleeding and back pain"],
        "quiet": ["I'm not pregnant and my periods are normal"],
    },
    "cancer_history_with_pain": {
        "fires": [
            "I had breast cancer three years ago and now my back hurts",
            ("I had prostate cancer", "my back aches after runs"),
        ],
        "quiet": [
            "my mum had breast cancer, I'm 30 and my back aches after runs",
            "no history of cancer, back ache after runs",
        ],
    },
    "age_50_with_night_pain_or_weight_loss": {
        "fires": [
            "I'm 62 and the pain wakes me at night",
            ("I'm 55", "my back hurts and I've lost weight recently"),
        ],
        "quiet": ["I'm 55 and my back is stiff after long runs", "I'm 58, no night pain and no weight loss"],
    },
    "long_term_steroids_with_pain": {
        "fires": ["I've been on prednisolone for years and my back is sore"],
        "quiet": [
            "I use a steroid inhaler and my back is a bit tight",
            "I was on steroids once for a week years ago",
        ],
    },
    "fall_with_osteoporosis": {
        "fires": [
            "I've got osteoporosis and my back went when I sneezed",
            ("I have osteopenia", "I slipped on the stairs yesterday"),
        ],
        "quiet": ["I don't have osteoporosis, and I haven't fallen"],
    },
    "fall_with_long_term_steroids": {
        "fires": [("I fell off my bike yesterday", "I'm on long-term steroids for my Crohn's")],
        "quiet": ["I'm not on steroids and haven't had a fall"],
    },
    "fever_with_infection_risk": {
        "fires": ["had surgery on my spine 3 weeks ago and I'm feverish now"],
        "quiet": ["no fever since my back surgery"],
    },
    "older_with_fall": {
        "fires": ["I'm 70 and had a fall on my run yesterday", "my dad is 72 and fell yesterday"],
        "quiet": ["I'm 70 and haven't had any falls"],
    },
    "infection_risk_with_pain": {
        "fires": [
            "feverish and shivery with back pain",
            "I inject heroin and my back has been agony",
            "had a kidney infection last week and now my back hurts",
            "I'm on methotrexate and my back is painful",
        ],
        "quiet": ["no fever, back just stiff", "I had a fever two years ago, back is fine now"],
    },
    "kidney_infection": {
        "fires": [
            "burning when I pee and pain in my lower back",
            "it stings when I wee and I have a temperature",
        ],
        "quiet": ["no burning when I pee"],
    },
    "thoracic_pain_with_risk": {
        "fires": ["pain between my shoulder blades and I'm 58"],
        "quiet": ["pain between my shoulder blades after swimming, I'm 30"],
    },
    "trauma_with_nerve_symptoms": {
        "fires": ["I fell over on a run and now I have pins and needles in my foot"],
        "quiet": ["I fell over years ago, no pins and needles now"],
    },
    "unwell_with_risk": {
        "fires": ["I feel rough in myself and my back aches at night"],
        "quiet": ["I feel fine in myself, back a bit stiff"],
    },
    # ---------------------------------------------------------------- evaluation
    "radicular_pain": {
        "fires": [
            "shooting pain down the back of my leg to my calf",
            "sciatica on long runs",
            "electric pain down my leg into my foot",
            "sciattica",
            # a side word between "my" and the leg, and "below the knee"
            "My back pain travels into my left shin and foot.",
            "my bak pain travles into my left shin",  # typos
            "my back pain goes down my left leg past the knee into my calf",
            "the pain goes past my knee when I run",
        ],
        "quiet": [
            "there's no pain going down my leg",
            "My back pain doesn't travel into my shin or foot, it stays in my lower back.",
            "I don't have any pain going past my knee",
            "what are sciatic nerve sliders?",
            "my sciatica cleared up years ago",
        ],
    },
    "leg_numbness": {
        "fires": [
            "my leg feels numb after long runs",
            "tingly toes on my right foot",
            "pins and needles in my foot",
        ],
        "quiet": ["my foot goes numb when my laces are too tight", "no pins and needles anywhere"],
    },
    "recurrent_episodes": {
        "fires": [
            "my back pain keeps coming back",
            "it happens every marathon block",
            "this is the fourth time this year it has flared",
        ],
        "quiet": ["first time I've ever had back pain"],
    },
    "gait_change": {
        "fires": [
            "I've started limping on runs",
            "my stride feels short on one side",
            "my hip drops when I run",
            "the pain always starts at about 8k",
        ],
        "quiet": ["no limp and my stride feels normal"],
    },
    "bone_stress_suspicion": {
        "fires": ["could I have a stress fracture in my back?", "my physio mentioned spondylolysis"],
        "quiet": ["I had a stress fracture in my foot years ago"],
    },
    "under_16": {
        "fires": ["I'm 14 and my back hurts after running", "my 13 year old daughter has back pain"],
        "quiet": ["I'm 34 and my back hurts after running"],
    },
    "pars_suspicion": {
        "fires": [
            "I'm 17 and my lower back hurts when I lean back",
            "I'm a teenager and it hurts running downhill",
        ],
        "quiet": ["I'm 45 and my back hurts when I lean back"],
    },
    "not_improving_2_weeks": {
        "fires": ["it's been 3 weeks and no better", "my back has been sore for a month and isn't improving"],
        "quiet": ["it's been 3 weeks and it's much better now"],
    },
    "persisting_6_weeks": {
        "fires": [
            "my back has hurt for two months",
            ("my back has been aching for a while", "about 8 weeks now"),
        ],
        "quiet": ["I've been running for 10 years and my back is a bit tight today"],
    },
    "inflammatory_pattern": {
        "fires": [
            "stiff for ages every morning, better once I'm moving",
            "ibuprofen works really well and I'm stiff every morning",
        ],
        "quiet": ["not stiff in the mornings"],
    },
    "night_pain_assessment": {
        "fires": ["the ache in my back wakes me at night sometimes"],
        "quiet": ["I sleep well, no night pain"],
    },
    "unwell_assessment": {
        "fires": ["I feel generally unwell and my back is sore"],
        "quiet": ["I don't feel unwell, just a tight back"],
    },
    "osteoporosis_with_pain": {
        "fires": ["I have osteoporosis and my lower back aches after runs"],
        "quiet": ["I don't have osteoporosis, my back aches after runs"],
    },
    "pregnancy_with_pain": {
        "fires": ["I'm pregnant and my back aches when I run"],
        "quiet": ["I'm not pregnant, my back aches when I run"],
    },
}
