from __future__ import annotations

import os
import ssl
import time

import pytest
from flask import Flask

from app.config import ConfigError, load
from app.emails.senders import (
    FileOutboxSender,
    OutgoingEmail,
    PermanentFailure,
    SmtpSender,
    TemporaryFailure,
    get_sender,
    sender_from_url,
)
from tests.conftest import production_env
from tests.support.emails import SMTP_PASSWORD, SMTP_USER, SmtpServer, TlsFiles


def _email(**overrides: str) -> OutgoingEmail:
    values = {
        "to": "ola@example.com",
        "from_addr": "shop@storeflow.test",
        "from_name": "Demo Boutique",
        "subject": "Coś zostało w Twoim koszyku",
        "html": "<p>Cześć Ola</p>",
        "text": "Cześć Ola",
        "message_id": "<run-7-step-0@storeflow.test>",
    }
    values.update(overrides)
    return OutgoingEmail(
        **values,
        headers={
            "List-Unsubscribe": "<https://storeflow.test/u/T>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def _smtp(server: SmtpServer) -> SmtpSender:
    return SmtpSender(host=server.host, port=server.port, security="none", timeout=5)


def test_smtp_server_receives_the_message_with_our_message_id(smtp_server: SmtpServer) -> None:
    provider_id = _smtp(smtp_server).send(_email())

    assert provider_id == "<run-7-step-0@storeflow.test>"
    [received] = smtp_server.received
    assert received["Message-ID"] == "<run-7-step-0@storeflow.test>"
    assert received["Subject"] == "Coś zostało w Twoim koszyku"
    assert received["From"] == "Demo Boutique <shop@storeflow.test>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = received.get_body(preferencelist=("plain",))
    html = received.get_body(preferencelist=("html",))
    assert text is not None and text.get_content().strip() == "Cześć Ola"
    assert html is not None and "<p>Cześć Ola</p>" in html.get_content()
    assert smtp_server.handler.envelopes[0].rcpt_tos == ["ola@example.com"]


def test_smtp_sender_reports_each_stage_of_the_dialogue_as_it_reaches_it(
    smtp_server: SmtpServer,
) -> None:
    stages: list[str] = []
    _smtp(smtp_server).send(
        _email(text=".a line that starts with a dot\n."), progress=stages.append
    )

    assert stages == ["mail_from", "data", "final_dot", "accepted"]
    [received] = smtp_server.received
    text = received.get_body(preferencelist=("plain",))
    assert text is not None
    lines = text.get_content().splitlines()
    assert lines == [".a line that starts with a dot", "."]  # leading dots survive DATA


def test_a_refused_message_reports_no_stage_past_the_refusal(smtp_server: SmtpServer) -> None:
    smtp_server.handler.reply = "554 5.7.1 Rejected"
    stages: list[str] = []
    with pytest.raises(PermanentFailure):
        _smtp(smtp_server).send(_email(), progress=stages.append)
    assert stages == ["mail_from", "data", "final_dot"]  # the dot went, the answer was no


def test_a_non_ascii_address_goes_over_smtputf8(smtp_server: SmtpServer) -> None:
    _smtp(smtp_server).send(_email(to="zażółć@example.com"))
    [received] = smtp_server.received
    assert received["To"] == "zażółć@example.com"


def test_smtp_4xx_is_a_temporary_failure(smtp_server: SmtpServer) -> None:
    smtp_server.handler.reply = "451 4.3.0 Try again later"

    with pytest.raises(TemporaryFailure, match="451"):
        _smtp(smtp_server).send(_email())
    assert smtp_server.received == []


def test_greylisted_recipient_is_a_temporary_failure(smtp_server: SmtpServer) -> None:
    smtp_server.handler.rcpt_reply = "450 4.2.0 Greylisted, try again in 5 minutes"

    with pytest.raises(TemporaryFailure, match="450"):
        _smtp(smtp_server).send(_email())


def test_unknown_recipient_is_a_permanent_failure(smtp_server: SmtpServer) -> None:
    smtp_server.handler.rcpt_reply = "550 5.1.1 No such user"

    with pytest.raises(PermanentFailure, match="550"):
        _smtp(smtp_server).send(_email())


def test_smtp_5xx_is_a_permanent_failure(smtp_server: SmtpServer) -> None:
    smtp_server.handler.reply = "550 5.1.1 Mailbox does not exist"

    with pytest.raises(PermanentFailure, match="550"):
        _smtp(smtp_server).send(_email())


def test_unreachable_smtp_server_is_a_temporary_failure(smtp_server: SmtpServer) -> None:
    sender = SmtpSender(host="127.0.0.1", port=1, security="none", timeout=2)

    with pytest.raises(TemporaryFailure, match="unreachable"):
        sender.send(_email())


def test_file_outbox_writes_one_eml_per_message_even_when_sent_twice(tmp_path: object) -> None:
    outbox = FileOutboxSender(str(tmp_path))

    first = outbox.send(_email())
    second = outbox.send(_email())
    outbox.send(_email(message_id="<run-7-step-1@storeflow.test>"))

    assert first == second
    assert sorted(f.endswith(".eml") for f in os.listdir(str(tmp_path))) == [True, True]
    with open(first, "rb") as handle:
        assert b"Message-ID: <run-7-step-0@storeflow.test>" in handle.read()


def test_file_outbox_tells_whether_it_already_holds_a_message(tmp_path: object) -> None:
    outbox = FileOutboxSender(str(tmp_path))

    assert outbox.was_accepted("<run-7-step-0@storeflow.test>") is False
    outbox.send(_email())
    assert outbox.was_accepted("<run-7-step-0@storeflow.test>") is True
    assert outbox.was_accepted("<run-7-step-1@storeflow.test>") is False


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://mailer:p%40ss@mail.example.com:2525?starttls=1",
            SmtpSender("mail.example.com", 2525, "mailer", "p@ss", "starttls"),
        ),
        (
            "smtp://relay.internal:25?starttls=0",
            SmtpSender("relay.internal", 25, None, None, "none"),
        ),
        ("smtps://u:p@smtp.example.com", SmtpSender("smtp.example.com", 465, "u", "p", "tls")),
        ("file:///var/outbox", FileOutboxSender("/var/outbox")),
        ("file://instance/outbox", FileOutboxSender("/srv/app/instance/outbox")),
    ],
)
def test_mail_url_chooses_the_sender(url: str, expected: object) -> None:
    assert sender_from_url(url, base_dir="/srv/app") == expected


def test_unknown_mail_url_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="smtp://, smtps:// or file://"):
        sender_from_url("http://mail.example.com")


def _tls_sender(server: SmtpServer, tls: TlsFiles, password: str) -> SmtpSender:
    return SmtpSender(
        host=server.host,
        port=server.port,
        username=SMTP_USER,
        password=password,
        security="starttls",
        timeout=5,
        ssl_context=ssl.create_default_context(cafile=tls.cert),
    )


def test_starttls_and_login_deliver_the_message(
    starttls_smtp_server: SmtpServer, tls_files: TlsFiles
) -> None:
    _tls_sender(starttls_smtp_server, tls_files, SMTP_PASSWORD).send(_email())

    [received] = starttls_smtp_server.received
    assert received["Message-ID"] == "<run-7-step-0@storeflow.test>"


def test_wrong_smtp_password_is_a_permanent_failure(
    starttls_smtp_server: SmtpServer, tls_files: TlsFiles
) -> None:
    with pytest.raises(PermanentFailure, match="535"):
        _tls_sender(starttls_smtp_server, tls_files, "wrong").send(_email())
    assert starttls_smtp_server.received == []


def test_an_untrusted_certificate_is_refused_not_ignored(
    starttls_smtp_server: SmtpServer,
) -> None:
    sender = SmtpSender(
        starttls_smtp_server.host,
        starttls_smtp_server.port,
        SMTP_USER,
        SMTP_PASSWORD,
        "starttls",
        timeout=5,
    )
    with pytest.raises(TemporaryFailure, match="CERTIFICATE_VERIFY_FAILED"):
        sender.send(_email())
    assert starttls_smtp_server.received == []


def test_a_server_without_starttls_is_a_permanent_failure(smtp_server: SmtpServer) -> None:
    sender = SmtpSender(smtp_server.host, smtp_server.port, security="starttls", timeout=5)

    with pytest.raises(PermanentFailure, match="STARTTLS"):
        sender.send(_email())


def test_development_mail_goes_to_the_outbox_under_instance(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The tests mail into a temporary folder; this one checks the development default.
    monkeypatch.setitem(app.config, "MAIL_URL", load({})["MAIL_URL"])
    sender = get_sender()

    assert sender == FileOutboxSender(
        os.path.join(os.path.dirname(app.instance_path), "instance", "outbox")
    )


def test_mail_url_with_another_scheme_stops_start_up() -> None:
    with pytest.raises(ConfigError, match="STOREFLOW_MAIL_URL"):
        load({"STOREFLOW_MAIL_URL": "http://mail.example.com"})


def test_production_needs_an_explicit_mail_url() -> None:
    env = production_env(missing="MAIL_URL")
    with pytest.raises(ConfigError, match="STOREFLOW_MAIL_URL"):
        load(env)
    assert load({**env, "STOREFLOW_MAIL_URL": "smtps://u:p@smtp.example.com"})["MAIL_URL"]


def test_implicit_tls_delivers_the_message(
    tls_smtp_server: SmtpServer, tls_files: TlsFiles
) -> None:
    sender = sender_from_url(f"smtps://{tls_smtp_server.host}:{tls_smtp_server.port}")
    assert isinstance(sender, SmtpSender)
    sender.ssl_context = ssl.create_default_context(cafile=tls_files.cert)

    sender.send(_email())

    assert [m["Message-ID"] for m in tls_smtp_server.received] == ["<run-7-step-0@storeflow.test>"]


def test_a_hung_server_times_out_as_a_temporary_failure(silent_server: tuple[str, int]) -> None:
    host, port = silent_server
    sender = SmtpSender(host, port, security="none", timeout=0.5)

    started = time.monotonic()
    with pytest.raises(TemporaryFailure):
        sender.send(_email())
    assert time.monotonic() - started < 5
