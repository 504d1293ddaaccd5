"""Busy: live processes (workhorse's and Ruby Sidekiq's), their running jobs, quiet/stop."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from workhorse.web.pages.common import (
    form_text,
    notice,
    pager,
    redirect,
    unreadable_processes,
)
from workhorse.web.rendering import render
from workhorse.web.state import dashboard_of


def index(request: Request) -> Response:
    api = dashboard_of(request).inspector
    scan = api.processes.read()
    processes = scan.processes
    running = [(proc, job) for proc in processes for job in proc.running]
    running.sort(key=lambda pair: pair[1].run_at)
    proc_pages = pager(request, len(processes))
    job_pages = pager(request, len(running), name="jobs_page")
    return render(
        request,
        "busy.html",
        {
            "processes": processes[proc_pages.offset : proc_pages.offset + proc_pages.per_page],
            "proc_pager": proc_pages,
            "running": running[job_pages.offset : job_pages.offset + job_pages.per_page],
            "job_pager": job_pages,
            "total_processes": len(processes),
            "total_threads": sum(p.concurrency for p in processes),
            "total_busy": sum(p.busy for p in processes),
            "leader": api.processes.leader(),
            "notice": notice(request),
            "warnings": unreadable_processes(
                len(scan.unreadable), [str(u) for u in scan.unreadable[:20]]
            ),
            "active": "busy",
        },
    )


async def signal(request: Request) -> Response:
    form = await request.form()
    action = form_text(form, "action")
    if action not in ("quiet", "stop"):
        raise HTTPException(400, f"unknown action {action!r} for processes; use quiet or stop")
    processes = dashboard_of(request).inspector.processes
    identity, group = form_text(form, "identity"), form_text(form, "group")
    if group:  # every process of one `workhorse worker -p N`
        members = await run_in_threadpool(processes.group_members, group)
        if not members:
            return redirect(request, "busy", did="left")
        for member in members:
            await run_in_threadpool(processes.signal, member, signal_name(action))
        count = len(members)
    elif identity:
        known = await run_in_threadpool(processes.identities)
        if identity not in known:
            return redirect(request, "busy", did="left")
        await run_in_threadpool(processes.signal, identity, signal_name(action))
        count = 1
    else:
        every = processes.quiet_all if action == "quiet" else processes.stop_all
        count = await run_in_threadpool(every)
    return redirect(request, "busy", did=action, n=count)


def signal_name(action: str) -> str:
    return "TSTP" if action == "quiet" else "TERM"


routes = [
    Route("/busy", index, methods=["GET"], name="busy"),
    Route("/busy", signal, methods=["POST"]),
]
