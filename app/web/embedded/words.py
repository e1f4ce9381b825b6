"""The merchant's words for what the engine calls by key: flows, settings, units, run states
and the reasons a run stopped or waits. English here; translated where shown (``page``
catalog). A key without words here is shown by its key, which the tests forbid for settings
and flows on the page."""

from __future__ import annotations

from dataclasses import dataclass

from app.web.embedded.i18n import N_

FLOW_NAMES: dict[str, str] = {
    "abandoned_cart": N_("Abandoned cart reminders"),
    "cross_sell": N_("After-purchase suggestions"),
    "reactivation": N_("Win back quiet customers"),
    "shipping_notice": N_("Shipping notice"),
    "browse_abandonment": N_("Looked but did not buy"),
    "welcome": N_("Welcome new subscribers"),
    "welcome_confirmation": N_("Subscription confirmation"),
    "birthday": N_("Birthday wishes"),
    "replenishment": N_("Time to buy again"),
}
FLOW_DESCRIPTIONS: dict[str, str] = {
    "abandoned_cart": N_(
        "Reminds shoppers who left items in their cart, with a discount in the last email."
    ),
    "cross_sell": N_("Suggests products that go well with what a customer has just bought."),
    "reactivation": N_("Writes to customers who have not bought for a long time."),
    "shipping_notice": N_("Tells the customer their parcel is on its way."),
    "browse_abandonment": N_(
        "Writes to shoppers who looked at a product several times but did not buy it."
    ),
    "welcome": N_(
        "Greets new newsletter subscribers with three emails: a welcome (with a first-order "
        "code if you like), your shop's story and your bestsellers. Stops at their first order."
    ),
    "welcome_confirmation": N_(
        "Asks a new subscriber to confirm their sign-up (double opt-in) before any marketing."
    ),
    "birthday": N_(
        "Wishes customers a happy birthday a few days ahead, with a birthday gift code if you "
        "like. Once a year, only to customers who agreed to marketing emails."
    ),
    "replenishment": N_(
        "Reminds a customer to buy a product again when their time since buying it passes the "
        "product's usual gap between two purchases. Once per purchase."
    ),
}

# How a number is shown and typed: a stored value in minutes is typed in hours or days.
MINUTES_IN = {"hours": 60, "days": 1440}


@dataclass(frozen=True)
class SettingWords:
    label: str
    hint: str = ""
    unit: str = ""  # "hours", "days", "percent", "hour_of_day", "" (a count)
    advanced: bool = False


BEST_HOUR_HINT = N_("the hour they usually open emails, click or order; learned every night")

SETTINGS: dict[str, SettingWords] = {
    "inactivity_minutes": SettingWords(
        N_("A cart counts as abandoned after"), N_("without any activity in it"), "hours", True
    ),
    "email_1_delay_minutes": SettingWords(N_("First email after"), "", "hours"),
    "email_2_delay_minutes": SettingWords(N_("Second email after"), "", "hours"),
    "email_3_delay_minutes": SettingWords(
        N_("Third email (with a discount code) after"), "", "hours"
    ),
    "email_delay_minutes": SettingWords(N_("Email after"), "", "days"),
    "sms": SettingWords(
        N_("Also send the first reminder by text message"),
        N_("only to customers who agreed to text messages"),
    ),
    "discount": SettingWords(N_("Offer a discount code in the second email")),
    "discount_percent": SettingWords(N_("Discount"), "", "percent"),
    "discount_valid_hours": SettingWords(N_("The discount code works for"), "", "hours"),
    "restore_link_valid_days": SettingWords(
        N_("The link back to the cart works for"), "", "days", True
    ),
    "repeat_after_days": SettingWords(
        N_("Do not remind the same shopper again for"), "", "days", True
    ),
    "starts_after": SettingWords(N_("Count the waiting time from when the order is")),
    "products": SettingWords(N_("Products shown in the email")),
    "min_views": SettingWords(N_("Views of one product that show interest")),
    "wait_minutes": SettingWords(N_("Email once the shopper has been away for"), "", "hours"),
    "lookback_hours": SettingWords(N_("Count the views of the last"), "", "hours", True),
    "product_cooldown_days": SettingWords(
        N_("Never suggest the same product to the same shopper again for"), "", "days", True
    ),
    "upsell": SettingWords(N_("Also show pricier products of the same kind")),
    "idle_days": SettingWords(
        N_("A customer is quiet after"),
        N_("without an order (or longer than their usual gap)"),
        "days",
    ),
    "cooldown_days": SettingWords(
        N_("Do not write to the same customer again for"), "", "days", True
    ),
    "min_recency_score": SettingWords(
        N_("Only customers who bought at least this recently (score 1 to 5)"), "", "", True
    ),
    "min_frequency_score": SettingWords(
        N_("Only customers who buy at least this often (score 1 to 5)"), "", "", True
    ),
    "min_monetary_score": SettingWords(
        N_("Only customers who spend at least this much (score 1 to 5)"), "", "", True
    ),
    "daily_enrollment_cap": SettingWords(N_("At most this many customers a day"), "", "", True),
    "double_opt_in": SettingWords(
        N_("Ask new subscribers to confirm by email (double opt-in)"),
        N_("no marketing email until they click; the click is kept as proof of consent"),
    ),
    "confirm_link_valid_days": SettingWords(
        N_("The confirmation link works for"), "", "days", True
    ),
    "signup_window_hours": SettingWords(
        N_("Count as a new subscriber who agreed within the last"), "", "hours", True
    ),
    "welcome_delay_minutes": SettingWords(N_("Welcome email after the sign-up"), "", "hours"),
    "story_delay_minutes": SettingWords(N_("Email with your shop's story after"), "", "days"),
    "bestsellers_delay_minutes": SettingWords(N_("Email with your bestsellers after"), "", "days"),
    "first_order_code": SettingWords(N_("Offer a first-order code in the welcome email")),
    "days_before": SettingWords(
        N_("Send the birthday email this long before the birthday"), "", "days"
    ),
    "send_hour": SettingWords(N_("Send it at"), N_("in your shop's time zone"), "hour_of_day"),
    "gift_code": SettingWords(N_("Give a single-use birthday discount code")),
    "discount_valid_days": SettingWords(N_("The birthday code works for"), "", "days"),
    "birthday_sms": SettingWords(
        N_("Also send the birthday wish by text message"),
        N_("only to customers who agreed to text messages"),
    ),
    "birthday_metafield": SettingWords(
        N_("Shopify: the customer metafield with the birth date"),
        N_('namespace.key; Shopify\'s own "Birth date" field is facts.birth_date'),
        "",
        True,
    ),
    "product_days": SettingWords(
        N_("Your own gap between two purchases, per product"),
        N_(
            "one product per line: its ID in your store, = and the number of days; products "
            "not listed use the gap learned from your orders"
        ),
        "days",
    ),
    "email_1_best_time": SettingWords(
        N_("Send the first email at each customer's best hour"), BEST_HOUR_HINT
    ),
    "email_2_best_time": SettingWords(
        N_("Send the second email at each customer's best hour"), BEST_HOUR_HINT
    ),
    "email_best_time": SettingWords(
        N_("Send the email at each customer's best hour"), BEST_HOUR_HINT
    ),
    "story_best_time": SettingWords(
        N_("Send the email with your shop's story at each customer's best hour"), BEST_HOUR_HINT
    ),
    "bestsellers_best_time": SettingWords(
        N_("Send the email with your bestsellers at each customer's best hour"), BEST_HOUR_HINT
    ),
    "best_time_window_hours": SettingWords(
        N_("Wait at most this long for a customer's best hour"),
        N_("if their hour does not come by then, the email goes at its usual time"),
        "hours",
        True,
    ),
    "holdout_percent": SettingWords(
        N_("Test group that gets no emails"),
        N_("lets us measure what the emails really bring"),
        "percent",
        True,
    ),
    "frequency_cap_hours": SettingWords(
        N_("At most one marketing email to a person per"), "", "hours", True
    ),
    "quiet_hours_enabled": SettingWords(N_("Do not send at night"), "", "", True),
    "quiet_hours_start": SettingWords(N_("Night starts at"), "", "hour_of_day", True),
    "quiet_hours_end": SettingWords(N_("Night ends at"), "", "hour_of_day", True),
    "attribution_click_days": SettingWords(
        N_("Count an order for the email when the customer clicked it within"), "", "days", True
    ),
    "attribution_receive_hours": SettingWords(N_("or received it within"), "", "hours", True),
    "lifecycle_stages": SettingWords(
        N_("Write to customers in these lifecycle stages"),
        N_("checked when each email is due; the Customers page shows who is in which stage"),
    ),
}

CHOICES: dict[str, str] = {
    "placed": N_("placed"),
    "paid": N_("paid"),
    "fulfilled": N_("sent"),
    "delivered": N_("delivered"),
    "country": N_("by the shop's country (on in Germany and Austria)"),
    "on": N_("always"),
    "off": N_("never"),
    "all": N_("all customers"),
    "only_new": N_("only new customers"),
    "only_active": N_("only active customers"),
    "only_at_risk": N_("only customers at risk"),
    "only_lapsed": N_("only lapsed customers"),
    "not_new": N_("all but new customers"),
    "not_active": N_("all but active customers"),
    "not_at_risk": N_("all but customers at risk"),
    "not_lapsed": N_("all but lapsed customers"),
}

UNITS: dict[str, str] = {
    "hours": N_("hours"),
    "days": N_("days"),
    "percent": "%",
    "hour_of_day": N_("o'clock"),
}

RUN_STATES: dict[str, str] = {
    "active": N_("waiting for the next email"),
    "completed": N_("finished"),
    "converted": N_("bought"),
    "cancelled": N_("stopped"),
    "failed": N_("failed"),
}

END_REASONS: dict[str, str] = {
    "sequence_finished": N_("all emails were sent"),
    "order_placed": N_("the customer placed an order"),
    "flow_disabled": N_("you switched the flow off"),
    "consent_missing": N_("the customer has not agreed to marketing emails"),
    "consent_withdrawn": N_("the customer withdrew their consent"),
    "unsubscribed": N_("the customer unsubscribed"),
    "no_contact": N_("we have no email address for the customer"),
    "cart_emptied": N_("the cart was emptied"),
    "cart_started": N_("the shopper put something in the cart"),
    "nothing_to_show": N_("the products are no longer on sale"),
    "cart_deleted": N_("the cart was deleted"),
    "order_cancelled": N_("the order was cancelled"),
    "shop_uninstalled": N_("the app was uninstalled"),
    "shop_redacted": N_("the shop's data was erased"),
    "channel_unavailable": N_("this kind of message is not set up"),
    "delivery_failed": N_("the email could not be delivered"),
    "nothing_to_recommend": N_("there was nothing to recommend"),
    "flow_unknown": N_("the flow no longer exists"),
    "customer_erased": N_("the customer's data was erased"),
    "no_longer_pending": N_("the subscriber confirmed or declined"),
    "lifecycle_stage": N_("the customer's lifecycle stage is not one this flow writes to"),
}

DEFER_REASONS: dict[str, str] = {
    "shop_details": N_("waiting for your shop's postal address or sender name"),
    "frequency_cap": N_("postponed: the customer got another email recently"),
    "quiet_hours": N_("postponed until morning (night-time)"),
    "platform_unreachable": N_("postponed: your store did not answer"),
    "discount_refused": N_("waiting: your store refused the discount code"),
    "order_pending": N_("postponed a minute: an order of this customer is being recorded"),
    "best_time": N_("waiting for the hour this customer usually reads email"),
}


def flow_name(key: str) -> str:
    return FLOW_NAMES.get(key, key.replace("_", " ").capitalize())


# The flows' own cross-setting rules (``Flow.consistency``), translated part by part.
RULES: tuple[str, ...] = (
    N_("the reminders must come in order: email 1 before email 2 before email 3"),
    N_("the first reminder cannot come before the cart counts as abandoned"),
    N_("the second email must come after the first"),
    N_("the welcome emails must come in order: welcome, story, bestsellers"),
    N_("the birthday metafield must be namespace.key, e.g. facts.birth_date"),
)

SEGMENT_NAMES: dict[str, str] = {
    "champions": N_("Champions"),
    "loyal": N_("Loyal"),
    "new": N_("New"),
    "at_risk": N_("At risk"),
    "hibernating": N_("Hibernating"),
    "others": N_("Others"),
}

# The courier settings' labels and help, as ``forms.declared_form`` writes them (from the
# declaration's keys and help), translated where shown.
SHIPPING_WORDS: tuple[str, ...] = (
    N_("On"),
    N_("Courier"),
    N_("Service"),
    N_("Trigger"),
    N_("Label format"),
    N_("Sender"),
    N_("Parcel"),
    N_("Insure"),
    N_("Tracking prefix"),
    N_("Sending method"),
    N_("Shipping email"),
    N_("Name"),
    N_("Street"),
    N_("City"),
    N_("Postal code"),
    N_("Country code"),
    N_("Company"),
    N_("Building number"),
    N_("Flat number"),
    N_("County"),
    N_("Phone"),
    N_("Email"),
    N_("Weight kg"),
    N_("Length cm"),
    N_("Width cm"),
    N_("Height cm"),
    N_("Template"),
    N_("who carries the parcels"),
    N_("the courier's service code, when it has several"),
    N_("when a shipment is created by itself"),
    N_("label paper"),
    N_("the address parcels are sent from"),
    N_("the usual parcel (kg, cm)"),
    N_("insure parcels for the order's value"),
    N_("start of our own tracking numbers"),
    N_("how InPost parcels are handed over"),
    N_("email the customer the tracking link"),
)

STAGE_NAMES: dict[str, str] = {
    "new": N_("New"),
    "active": N_("Active"),
    "at_risk": N_("At risk"),
    "lapsed": N_("Lapsed"),
}
STAGE_RULES: dict[str, str] = {
    "new": N_("first order (or sign-up) in the last 30 days, at most one order"),
    "active": N_("score 40 or more, unless a regular customer is slipping away"),
    "at_risk": N_(
        "score 15 to 39, or a regular customer whose last order is now among your oldest"
    ),
    "lapsed": N_("everyone else"),
}
# The engagement score's parts (``insights.engagement.WEIGHTS``), as the merchant reads them.
WEIGHT_WORDS: dict[str, str] = {
    "order_recency": N_(
        "Last order: all points within 30 days, 2/3 within 90, 1/3 within 180, 1/6 within a year"
    ),
    "orders": N_("Orders placed: all points from 5 orders"),
    "opens": N_("Our emails opened in the last 90 days: all points from 5"),
    "clicks": N_("Our emails clicked in the last 90 days: all points from 3"),
    "views": N_("Product pages viewed in the last 30 days: all points from 10"),
}
ALERT_KINDS: dict[str, str] = {
    "score_above": N_("A customer's score rises to this level or above"),
    "score_below": N_("A customer's score falls below this level"),
    "cart_abandoned": N_("A cart of at least this amount is abandoned"),
    "vip_overdue": N_("One of your best customers has not ordered for longer than usual"),
    "page_viewed": N_("A known customer views this product page"),
}
RULE_ERRORS: dict[str, str] = {
    "kind": N_("choose what the alert is about"),
    "score_level": N_("the score level must be a whole number from 1 to 100"),
    "cart_amount": N_("the cart amount must be more than 0"),
    "unknown_product": N_("no product of your shop has this address, handle or id"),
    "period": N_("the period must be from 1 to 365 days"),
    "webhook_address": N_(
        "the webhook address must be a public http(s) address (not a private or local one)"
    ),
    "staff_email": N_("one of the staff addresses is not an email address"),
}
