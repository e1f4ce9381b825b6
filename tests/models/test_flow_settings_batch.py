"""A batch of deliveries reads the flow settings of all its shops in one statement, and each
shop still sees only its own rows."""

from __future__ import annotations

from app.models import db
from app.models.batch import batch_memo
from app.models.flows import add_flow_setting, flow_setting, load_flow_settings
from tests.support.statements import statements_sent


def test_a_batch_reads_its_shops_settings_once_and_each_shop_sees_only_its_own(make_shop):
    first, second, bare = (make_shop(n=n).id for n in (1, 2, 3))
    add_flow_setting(first, "abandoned_cart", enabled=True, values={"sms": True})
    add_flow_setting(second, "abandoned_cart", enabled=False, values={})
    add_flow_setting(second, "cross_sell", enabled=True, values={})
    db.session.commit()

    with batch_memo(db.session()), statements_sent() as statements:
        load_flow_settings([first, second, bare])
        loaded = len(statements)
        mine = flow_setting(first, "abandoned_cart")
        theirs = flow_setting(second, "abandoned_cart")
        found = (
            flow_setting(first, "cross_sell"),
            flow_setting(second, "cross_sell"),
            flow_setting(bare, "abandoned_cart"),
        )

    assert loaded == 1 and len(statements) == 1, statements
    assert mine is not None and (mine.shop_id, mine.enabled, mine.values) == (
        first,
        True,
        {"sms": True},
    )
    assert theirs is not None and (theirs.shop_id, theirs.enabled) == (second, False)
    assert found[0] is None and found[2] is None
    assert found[1] is not None and found[1].shop_id == second
