import pytest

from credscore.tasks import ATTRIBUTION_LABELS, ATTRIBUTION_WEAKNESS_RANK, HEDGING_LABELS, TASKS, label_to_index


def test_label_sets_and_order_are_fixed():
    # The order is the column order of every saved head: changing it breaks shipped models.
    assert ATTRIBUTION_LABELS == ("unattributed", "direct_claim", "official_statement", "anonymous_source", "agency")
    assert HEDGING_LABELS == ("none", "low", "high")
    assert TASKS == {"attribution": ATTRIBUTION_LABELS, "hedging": HEDGING_LABELS}


def test_weakest_link_order_of_the_guide():
    rank = ATTRIBUTION_WEAKNESS_RANK
    assert rank["anonymous_source"] > rank["agency"] > rank["official_statement"] > rank["direct_claim"]


def test_label_to_index_and_unknown_labels():
    assert label_to_index("hedging", "high") == 2
    with pytest.raises(ValueError, match="expected one of none, low, high"):
        label_to_index("hedging", "maybe")
