"""send_files: the one entry point (CLI ``xl-report send``, the Excel 上报 button, batch).

Plan (read the sent-log, decide per file: send / skip / refuse), then deliver over SMTP or write
``.eml`` files into the outbox (the embedded default with no [smtp], and ``--dry-run``).

Exactly once: every file ends as 已发送, 未发送 or 待确认. 待确认 (``uncertain``) is a message that went
out completely without the server's reply (connection dropped, timeout): it may have been delivered,
so it is never sent again automatically; reruns skip it until the clerk has asked the recipient and
either confirms it (:func:`confirm_files`, ``send --confirm``) or sends it again (``--resend``, with the
same Message-ID so the receiving side can recognise a duplicate).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from xl_report.core.config import load_config
from xl_report.core.errors import EXIT_FINDINGS, EXIT_OK, InputError
from xl_report.mail import headers
from xl_report.mail.compose import Note, build, short, write_eml
from xl_report.mail.facts import Workbook, check_verdict, inspect
from xl_report.mail.sentlog import SentLog
from xl_report.mail.settings import MailSettings, mail_settings
from xl_report.mail.transport import DeliveryError, SmtpSender


@dataclass
class Outcome:
    path: Path
    message: str  # Chinese, one line, for the clerk
    message_id: str | None = None
    recipients: tuple[str, ...] = ()
    fingerprint: str | None = None
    changed: bool = False  # a new version of a report sent before


@dataclass
class SendReport:
    mode: str  # "smtp" | "outbox"
    sent: list[Outcome] = field(default_factory=list)
    skipped: list[Outcome] = field(default_factory=list)  # already sent with this fingerprint
    failed: list[Outcome] = field(default_factory=list)  # refused drafts, bad files, delivery failures
    outbox_files: list[Path] = field(default_factory=list)
    queued: list[Outcome] = field(default_factory=list)  # written to the outbox
    uncertain: list[Outcome] = field(default_factory=list)  # 待确认: maybe delivered, not sent again
    notes: list[str] = field(default_factory=list)
    outbox: Path | None = None
    sent_log: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and not self.uncertain

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_FINDINGS


@dataclass
class _Job:
    books: list[Workbook]
    recipients: tuple[str, ...]  # mailboxes from settings.to / cc still to receive these books
    notes: list[Note]
    message_id: str | None = None
    previous: dict[str, dict] = field(default_factory=dict)  # fingerprint -> earlier version's record


def send_files(
    paths,
    config=None,
    to=None,
    dry_run: bool = False,
    resend: bool = False,
    allow_draft: bool = False,
    bundle: bool = False,
    outbox=None,
    sent_log=None,
    *,
    keys_dir=None,
    retries: int = 3,
    backoff: float = 1.0,
    check: bool = True,
    progress: Callable[[str], None] | None = None,
) -> SendReport:
    """Mail each workbook upward once (or all in one message with ``bundle``); see the module docs.

    ``config`` is a ``load_config`` dict, a path to xl-report.toml, or None (look in the current folder).
    ``check``: run the cross-check on drafts for the {summary}/{details} placeholders (seconds per
    workbook; a frozen workbook's verdict comes from its freeze record).
    ``retries``/``backoff``: transient failures are retried after backoff, 2×backoff, … seconds.
    ``progress``: called with a Chinese line before each retry (the CLI prints it).
    """
    if not isinstance(config, dict):
        config = load_config(config)
    to = [to] if isinstance(to, str) else to
    settings = mail_settings(config, to=list(to) if to else None, outbox=outbox, sent_log=sent_log)
    mode = "outbox" if dry_run or settings.smtp is None else "smtp"
    report = SendReport(
        mode,
        outbox=settings.outbox if mode == "outbox" else None,
        sent_log=settings.sent_log if mode == "smtp" else None,
    )
    if mode == "smtp" and not settings.recipients:
        raise InputError.at("没有收件人：请在配置 [upward] to 中填写上级单位的邮箱，或用 --to 指定")
    if mode == "smtp" and not settings.sender:
        raise InputError.at("没有发件人：请在配置 [smtp] from 中填写本单位的邮箱")
    files = _unique(paths)
    if not files:
        raise InputError.at("没有指定要上报的工作簿")
    books = _inspect_all(files, allow_draft, keys_dir, report)
    log = SentLog(settings.sent_log)
    with log.locked() if mode == "smtp" else nullcontext(log):
        jobs = _plan(books, settings, log, resend=resend, bundle=bundle, report=report)
        verdict = (lambda b: check_verdict(b, config)) if check else (lambda b: b.verdict or "未校验")
        if mode == "outbox":
            _write_outbox(jobs, settings, bundle, report, verdict)
        elif jobs:
            _deliver(
                jobs,
                settings,
                log,
                bundle,
                report,
                verdict,
                retries=retries,
                backoff=backoff,
                resend=resend,
                progress=progress,
            )
    return report


def _unique(paths) -> list[Path]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    seen, out = set(), []
    for p in paths:
        key = Path(p).resolve()
        if key not in seen:
            seen.add(key)
            out.append(Path(p))
    return out


def _inspect_all(files: list[Path], allow_draft: bool, keys_dir, report: SendReport) -> list[Workbook]:
    books = []
    for path in files:
        try:
            book = inspect(path, keys_dir)
        except InputError as e:
            report.failed.append(Outcome(path, f"未发送：{e}"))
            continue
        if book.refusal and not allow_draft:
            report.failed.append(
                Outcome(
                    path,
                    f"未发送：“{book.name}”{book.refusal}，不能上报。请先定稿"
                    f"（xl-report freeze），或加 --allow-draft 作为草稿发送",
                    fingerprint=book.fingerprint,
                )
            )
            continue
        books.append(book)
    return books


def _key(mailbox: str) -> str:
    return headers.addr_spec(mailbox).lower()


def _plan(
    books: list[Workbook], settings: MailSettings, log: SentLog, *, resend: bool, bundle: bool, report: SendReport
) -> list[_Job]:
    jobs: list[_Job] = []
    first_copy: dict[str, Workbook] = {}  # fingerprint -> the file that carries it in this run
    for book in books:
        if book.fingerprint in first_copy:  # a second copy of the same report (e.g. "年报 (1).xlsx")
            report.skipped.append(
                Outcome(
                    book.path,
                    f"未重复发送：“{book.name}”与“{first_copy[book.fingerprint].name}”内容相同"
                    f"（指纹 {short(book.fingerprint)}），只发送一次",
                    fingerprint=book.fingerprint,
                )
            )
            continue
        first_copy[book.fingerprint] = book
        delivered = set() if resend else log.delivered(book.fingerprint)
        needed = tuple(a for a in settings.recipients if _key(a) not in delivered)
        if settings.recipients and not needed:
            first = log.sent_records(book.fingerprint)[0]
            report.skipped.append(
                Outcome(
                    book.path,
                    f"未重复发送：“{book.name}”（指纹 {short(book.fingerprint)}）已于{_when(first)}发送给 "
                    f"{'、'.join(sorted(delivered))}；如确需再次发送，请加 --resend",
                    message_id=first.get("message_id"),
                    recipients=tuple(sorted(delivered)),
                    fingerprint=book.fingerprint,
                )
            )
            continue
        job = _Job([book], needed, [Note(draft=not book.frozen)])
        pending = log.unresolved(book.fingerprint)
        if pending and not resend:
            what = f"于{_when(pending)}发出后服务器未确认收到"
            report.uncertain.append(
                Outcome(
                    book.path,
                    uncertain_message(book.name, pending.get("message_id"), what),
                    message_id=pending.get("message_id"),
                    fingerprint=book.fingerprint,
                )
            )
            continue
        if pending:
            job.message_id = pending.get("message_id")
            report.notes.append(
                f"“{book.name}”此前发送结果待确认；按 --resend 再次发送，使用同一邮件编号"
                f"（{job.message_id}），对方邮件系统可据此识别重复"
            )
        previous = log.previous_version(str(book.path.resolve()), book.unit, book.year, book.fingerprint)
        if previous:
            what = "草稿" if previous.get("kind") == "draft" else "版本"
            job.notes.append(Note(replaces=f"{_when(previous)}发送的{what}（指纹 {short(previous['fingerprint'])}）"))
            job.previous[book.fingerprint] = previous
        jobs.append(job)
    if bundle and len(jobs) > 1:
        # one message for every file still owed to someone, addressed to everyone owed at least one of them
        wanted = {_key(a) for j in jobs for a in j.recipients}
        ids = {j.message_id for j in jobs}
        jobs = [
            _Job(
                [b for j in jobs for b in j.books],
                tuple(a for a in settings.recipients if _key(a) in wanted),
                [n for j in jobs for n in j.notes],
                ids.pop() if len(ids) == 1 else None,
                {k: v for j in jobs for k, v in j.previous.items()},
            )
        ]
    return jobs


RESOLVE_HINT = (
    "请向收件人确认是否收到：已收到的，运行 xl-report send --confirm 文件；未收到的，运行 xl-report send 文件 --resend"
)


def uncertain_message(name: str, message_id: str | None, what: str) -> str:
    return f"可能已送达（待确认）：“{name}”{what}（邮件编号 {message_id}）；为免重复，不再自动发送。{RESOLVE_HINT}"


def confirm_files(paths, config=None, sent_log=None, keys_dir=None) -> SendReport:
    """The clerk has checked with the recipient: each file's 待确认 message was received (``send --confirm``)."""
    if not isinstance(config, dict):
        config = load_config(config)
    settings = mail_settings(config, sent_log=sent_log)
    report = SendReport("smtp", sent_log=settings.sent_log)
    files = _unique(paths)
    if not files:
        raise InputError.at("没有指定要确认的工作簿")
    log = SentLog(settings.sent_log)
    with log.locked():
        for path in files:
            try:
                book = inspect(path, keys_dir)
            except InputError as e:
                report.failed.append(Outcome(path, f"无法确认：{e}"))
                continue
            pending = log.unresolved(book.fingerprint)
            if pending is None:
                report.notes.append(f"“{book.name}”没有待确认的发送记录，无需确认")
                continue
            mid = pending.get("message_id")
            log.append(
                {
                    "event": "sent",
                    "message_id": mid,
                    "host": pending.get("host"),
                    "bundle": pending.get("bundle"),
                    "file": str(book.path.resolve()),
                    "name": book.name,
                    "fingerprint": book.fingerprint,
                    "kind": "frozen" if book.frozen else "draft",
                    "unit": book.unit,
                    "year": book.year,
                    "recipients": list(pending.get("recipients") or []),
                    "confirmed": True,
                }
            )
            report.sent.append(
                Outcome(
                    book.path,
                    f"已确认送达：“{book.name}”（邮件编号 {mid}），以后不会再发送",
                    message_id=mid,
                    recipients=tuple(pending.get("recipients") or []),
                    fingerprint=book.fingerprint,
                )
            )
    return report


def _when(record: dict) -> str:
    try:
        t = datetime.fromisoformat(record["time"])
    except (KeyError, ValueError):
        return "此前"
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}"


def _write_outbox(jobs: list[_Job], settings: MailSettings, bundle: bool, report: SendReport, verdict) -> None:
    for job in jobs:
        msg = build(
            settings,
            job.books,
            job.recipients,
            bundle=bundle,
            notes=job.notes,
            message_id=job.message_id,
            verdict=verdict,
        )
        eml = write_eml(settings.outbox, msg, job.books, bundle=bundle)
        report.outbox_files.append(eml)
        for book in job.books:
            report.queued.append(
                Outcome(
                    book.path,
                    f"已写入待发邮件：“{book.name}” → {eml}",
                    message_id=msg["Message-ID"],
                    recipients=job.recipients,
                    fingerprint=book.fingerprint,
                    changed=book.fingerprint in job.previous,
                )
            )


def _deliver(
    jobs: list[_Job],
    settings: MailSettings,
    log: SentLog,
    bundle: bool,
    report: SendReport,
    verdict,
    *,
    retries: int,
    backoff: float,
    resend: bool,
    progress,
) -> None:
    smtp, sender_address = settings.smtp, settings.sender
    assert smtp is not None and sender_address is not None  # send_files delivers only with both
    sender = SmtpSender(smtp, retries=retries, backoff=backoff, progress=progress)
    envelope_from = headers.addr_spec(sender_address)
    try:
        for i, job in enumerate(jobs):
            msg = build(
                settings,
                job.books,
                job.recipients,
                bundle=bundle,
                notes=job.notes,
                message_id=job.message_id,
                verdict=verdict,
            )
            mid = msg["Message-ID"]
            rcpt = [headers.addr_spec(a) for a in job.recipients]
            common = {"message_id": mid, "host": smtp.host, "bundle": bundle and len(job.books) > 1}
            log.append(
                {
                    "event": "pending",
                    **common,
                    "files": [str(b.path.resolve()) for b in job.books],
                    "fingerprints": [b.fingerprint for b in job.books],
                    "recipients": rcpt,
                }
            )
            try:
                refused = sender.send(envelope_from, rcpt, msg.as_bytes())
            except DeliveryError as e:
                if e.ambiguous:  # maybe delivered: recorded as 待确认, never retried
                    log.append(
                        {
                            "event": "uncertain",
                            **common,
                            "reason": e.reason,
                            "fingerprints": [b.fingerprint for b in job.books],
                        }
                    )
                    for book in job.books:
                        report.uncertain.append(
                            Outcome(
                                book.path,
                                uncertain_message(book.name, mid, f"已发出，但{e.reason}"),
                                message_id=mid,
                                recipients=tuple(rcpt),
                                fingerprint=book.fingerprint,
                            )
                        )
                    continue
                log.append(
                    {
                        "event": "failed",
                        **common,
                        "reason": e.reason,
                        "fingerprints": [b.fingerprint for b in job.books],
                    }
                )
                for book in job.books:
                    report.failed.append(
                        Outcome(book.path, f"未发送：“{book.name}”：{e.reason}", fingerprint=book.fingerprint)
                    )
                if e.fatal or e.connecting:
                    for rest in jobs[i + 1 :]:
                        for book in rest.books:
                            report.failed.append(
                                Outcome(
                                    book.path,
                                    f"未发送：“{book.name}”：因上述错误中止，未尝试发送",
                                    fingerprint=book.fingerprint,
                                )
                            )
                    break
                continue
            accepted = [r for r in rcpt if r not in refused]
            for book in job.books:
                previous = job.previous.get(book.fingerprint)
                log.append(
                    {
                        "event": "sent",
                        **common,
                        "file": str(book.path.resolve()),
                        "name": book.name,
                        "fingerprint": book.fingerprint,
                        "kind": "frozen" if book.frozen else "draft",
                        "unit": book.unit,
                        "year": book.year,
                        "recipients": accepted,
                        "to": [a for a in settings.to if _key(a) in accepted],
                        "cc": [a for a in settings.cc if _key(a) in accepted],
                        "subject": str(msg["Subject"]),
                        "resend": resend,
                        "replaces": previous["fingerprint"] if previous else None,
                    }
                )
                what = "已发送更正版" if previous else ("已发送草稿" if not book.frozen else "已发送")
                extra = f"（替代{_when(previous)}发送的指纹 {short(previous['fingerprint'])}）" if previous else ""
                report.sent.append(
                    Outcome(
                        book.path,
                        f"{what}：“{book.name}” → {'、'.join(accepted)}{extra}（邮件编号 {mid}）",
                        message_id=mid,
                        recipients=tuple(accepted),
                        fingerprint=book.fingerprint,
                        changed=previous is not None,
                    )
                )
                if refused:
                    detail = "；".join(
                        f"{a}（{c} {m.decode('utf-8', 'replace') if isinstance(m, bytes) else m}）"
                        for a, (c, m) in refused.items()
                    )
                    report.failed.append(
                        Outcome(
                            book.path,
                            f"部分收件人未收到“{book.name}”：{detail}；重新运行只会发给这些收件人",
                            fingerprint=book.fingerprint,
                        )
                    )
    except BaseException:  # Ctrl-C or a bug: leave at once, without waiting for the server to answer QUIT
        sender.abort()
        raise
    sender.close()
