#!/usr/bin/env python3
"""The API against its own OpenAPI document: schemathesis (PyPI) fuzzes every operation of a
demo server on loopback, once with an admin's token and once with a client contact's, and
fails on any 5xx, an undocumented status, a wrong content type or a body that does not match
its schema.

Usage: conformance.py PORTICO_BINARY SCHEMATHESIS_BINARY [SECONDS_PER_TOKEN]

The server gets a throwaway data directory, the demo workspace and real ids to call (a
project both clients share, its task, file, folder, milestone and column, an invoice, the
client organisation and contact), so the fuzzing reaches past "not found". Payment gateways
point at a closed loopback port and SMTP is off: nothing leaves the machine.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def portico(binary, data, *args):
    result = subprocess.run([binary, "--data-dir", data, *args], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def get(base, path, token):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def wait_until_ready(base, server):
    for _ in range(300):
        if server.poll() is not None:
            sys.exit(f"portico stopped with {server.returncode} before it was ready")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit("portico was not ready after 30 s")


def demo_ids(base, admin, client):
    """Items the client sees (so both tokens reach them), found through the API."""
    me = get(base, "/api/v1/me", client)
    for project in get(base, "/api/v1/projects?per_page=100", client)["items"]:
        pid = project["id"]
        tasks = get(base, f"/api/v1/projects/{pid}/tasks", client)["items"]
        files = get(base, f"/api/v1/projects/{pid}/files", client)["items"]
        if tasks and files:
            break
    else:
        sys.exit("no demo project with tasks and files the client sees")
    task = tasks[0]["id"]
    comments = get(base, f"/api/v1/projects/{pid}/tasks/{task}/comments", client)["items"]
    folders = get(base, f"/api/v1/projects/{pid}/folders", admin)
    milestones = get(base, f"/api/v1/projects/{pid}/milestones", admin)
    invoices = get(base, "/api/v1/invoices", client)["items"]
    rates = get(base, "/api/v1/tax-rates", admin)
    return {
        "project": pid,
        "task": task,
        "file": files[0]["id"],
        "comment": comments[0]["id"] if comments else None,
        "folder": folders[0]["id"] if folders else None,
        "milestone": milestones[0]["id"] if milestones else None,
        "column": get(base, f"/api/v1/projects/{pid}/columns", admin)[0]["id"],
        "invoice": invoices[0]["id"] if invoices else None,
        "rate": rates[0]["id"] if rates else None,
        "organisation": me["client_org_id"],
        "contact": me["id"],
    }


def config(ids):
    """schemathesis.toml: the real ids, by path (`{id}` names a project, a client or a person)."""
    shared = {
        name: ids[key]
        for name, key in [
            ("task", "task"),
            ("file", "file"),
            ("comment", "comment"),
            ("folder", "folder"),
            ("milestone", "milestone"),
            ("column", "column"),
            ("invoice", "invoice"),
            ("rate", "rate"),
            ("contact", "contact"),
        ]
        if ids[key]
    }
    shared["gateway"] = "stripe"
    lines = ["[parameters]"] + [f'{name} = "{value}"' for name, value in shared.items()]
    for regex, value in [("^/api/v1/projects/", ids["project"]), ("^/api/v1/clients/", ids["organisation"])]:
        lines += ["", "[[operations]]", f'include-path-regex = "{regex}"', f'parameters = {{ id = "{value}" }}']
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binary, schemathesis = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    seconds = sys.argv[3] if len(sys.argv) > 3 else "150"
    work = tempfile.mkdtemp(prefix="portico-conformance-")
    data = os.path.join(work, "data")
    portico(binary, data, "demo")
    admin = portico(binary, data, "token", "create", "--email", "admin@example.com", "--name", "conformance")
    client = portico(binary, data, "token", "create", "--email", "client@example.com", "--name", "conformance")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    closed = f"http://127.0.0.1:{free_port()}"
    env = dict(
        os.environ,
        PORTICO_PAYMENTS_STRIPE_API=closed,
        PORTICO_PAYMENTS_PAYPAL_API=closed,
        PORTICO_SMTP_HOST="",
        PORTICO_LOG="warn",
    )
    log = open(os.path.join(work, "portico.log"), "w")
    server = subprocess.Popen(
        [binary, "--data-dir", data, "serve", "--listen", f"127.0.0.1:{port}"], cwd=work, env=env, stdout=log, stderr=log
    )
    failed = []
    try:
        wait_until_ready(base, server)
        ids = demo_ids(base, admin, client)
        with open(os.path.join(work, "schemathesis.toml"), "w") as f:
            f.write(config(ids))
        for who, token in [("admin", admin), ("client", client)]:
            print(f"\n=== schemathesis as the {who} ({seconds} s)", flush=True)
            run = subprocess.run(
                [
                    schemathesis,
                    "--config-file",
                    os.path.join(work, "schemathesis.toml"),
                    "run",
                    f"{base}/api/v1/openapi.json",
                    "--header",
                    f"Authorization: Bearer {token}",
                    "--checks",
                    CHECKS,
                    "--phases",
                    "examples,coverage,fuzzing",
                    "--max-time",
                    seconds,
                    "--max-examples",
                    "25",
                    "--seed",
                    "13",
                    "--workers",
                    "2",
                    "--request-timeout",
                    "10",
                    "--warnings",
                    "off",
                ],
                cwd=work,
            )
            if run.returncode != 0:
                failed.append(who)
            if server.poll() is not None:
                failed.append("the server stopped")
                break
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    if failed:
        print(f"\nconformance failed ({', '.join(failed)}); the server's log: {log.name}")
        sys.exit(1)
    print("\nconformance: no 5xx, every status, content type and body as documented")


if __name__ == "__main__":
    main()
