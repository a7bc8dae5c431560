"""The queue page (and console.js, which redraws it live)."""

TEXTS = {
    "lt": {
        "queue_title": "Eilė",
        "queue_waiting": "Laukia",
        "queue_mine": "Mano perimti",
        "queue_others": "Perėmė kolegos",
        "queue_closed": "Neseniai uždaryti",
        "queue_nobody_waiting": "Niekas nelaukia.",
        "queue_none": "Nėra.",
        "queue_waiting_since": "perduota",
        "queue_closed_by": "uždarė {name}",
        "queue_claimed_by": "perėmė {name}",
        "queue_claimed_by_me": "perėmiau aš",
    },
    "en": {
        "queue_title": "Queue",
        "queue_waiting": "Waiting",
        "queue_mine": "Claimed by me",
        "queue_others": "Claimed by colleagues",
        "queue_closed": "Recently closed",
        "queue_nobody_waiting": "Nobody is waiting.",
        "queue_none": "None.",
        "queue_waiting_since": "waiting since",
        "queue_closed_by": "closed by {name}",
        "queue_claimed_by": "claimed by {name}",
        "queue_claimed_by_me": "claimed by me",
    },
}
