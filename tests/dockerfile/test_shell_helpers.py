"""RUN-body helpers: splitting into simple commands, flags, package installs (hadolint Shell.hs)."""

from __future__ import annotations

import pytest

from finalstage.dockerfile import (
    Command,
    args_no_flags,
    commands,
    find_command_names,
    has_flag,
    package_installs,
    parse_text,
    split_commands,
)


def _run(body: str):
    return parse_text(f"FROM a\n{body}\n").final_stage.instructions[1]


def _pairs(cmds: list[Command]) -> list[tuple[str, tuple[str, ...]]]:
    return [(c.name, c.args) for c in cmds]


def test_split_across_operators_subshells_and_prefixes() -> None:
    script = (
        "set -eux; apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y gcc"
        " > /dev/null 2>&1 || true; (cd /src && make) | tee log &"
        " sudo -u app env -i A=1 /usr/bin/pip3 install x"
    )
    assert _pairs(split_commands(script)) == [
        ("set", ("-eux",)),
        ("apt-get", ("update",)),
        ("apt-get", ("install", "-y", "gcc")),
        ("true", ()),
        ("cd", ("/src",)),
        ("make", ()),
        ("tee", ("log",)),
        ("pip3", ("install", "x")),
    ]


def test_quotes_comments_newlines_and_control_keywords() -> None:
    script = (
        'if [ -f x ]; then\n  echo "a && b" # not a command\nfi\nfor i in 1 2; do rm "$i"; done\n'
    )
    assert _pairs(split_commands(script)) == [
        ("[", ("-f", "x", "]")),
        ("echo", ("a && b",)),
        ("rm", ("$i",)),
    ]


def test_command_substitution_commands_are_found() -> None:
    assert _pairs(split_commands("apt-get install -y $(cat /pkgs) && rm /pkgs")) == [
        ("apt-get", ("install", "-y")),
        ("cat", ("/pkgs",)),
        ("rm", ("/pkgs",)),
    ]


def test_unbalanced_quote_does_not_crash() -> None:
    # Falls back to whitespace words, still split at the operators.
    assert _pairs(split_commands("echo 'oops && rm x")) == [("echo", ("'oops",)), ("rm", ("x",))]


def test_commands_shell_form_json_form_and_sh_c() -> None:
    assert find_command_names(_run("RUN apk add x && rm -rf /var/cache/apk/*")) == ["apk", "rm"]
    assert _pairs(commands(_run('RUN ["/usr/bin/make", "-j4"]'))) == [("make", ("-j4",))]
    assert find_command_names(_run('RUN ["/bin/sh", "-c", "npm ci && npm run build"]')) == [
        "npm",
        "npm",
    ]


def test_commands_heredoc_scripts() -> None:
    assert find_command_names(_run("RUN <<EOF\napt-get update\napt-get install -y curl\nEOF")) == [
        "apt-get",
        "apt-get",
    ]
    assert find_command_names(_run("RUN bash <<EOF\nset -e\nmake\nEOF")) == ["bash", "set", "make"]
    # A heredoc fed to a non-shell is data, not commands.
    assert find_command_names(_run("RUN python3 <<EOF\nimport os\nEOF")) == ["python3"]


def test_commands_through_onbuild() -> None:
    df = parse_text("FROM a\nONBUILD RUN npm install\n")
    assert find_command_names(df.final_stage.instructions[1]) == ["npm"]


def test_has_flag_and_args_no_flags() -> None:
    cmd = Command("apt-get", ("install", "-qy", "--no-install-recommends", "--option=x", "curl"))
    assert has_flag(cmd, "y")
    assert has_flag(cmd, "no-install-recommends")
    assert has_flag(cmd, "option")
    assert not has_flag(cmd, "yes", "n")
    assert args_no_flags(cmd) == ("install", "curl")
    assert not has_flag(Command("x", ("--", "-y")), "y")


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (
            "apt-get install -y --no-install-recommends gcc=4:12 libc6-dev",
            ("apt", ("gcc=4:12", "libc6-dev"), ("-y", "--no-install-recommends")),
        ),
        (
            "apt-get -y -t bookworm-backports install curl",
            ("apt", ("curl",), ("-y", "-t=bookworm-backports")),
        ),
        ("apt install vim", ("apt", ("vim",), ())),
        (
            "apk add --no-cache --virtual .deps gcc musl-dev",
            ("apk", ("gcc", "musl-dev"), ("--no-cache", "--virtual=.deps")),
        ),
        ("dnf install -y gcc", ("dnf", ("gcc",), ("-y",))),
        ("yum install -y make", ("dnf", ("make",), ("-y",))),
        ("microdnf install shadow-utils", ("dnf", ("shadow-utils",), ())),
        (
            "pip install --no-cache-dir -r requirements.txt flask==3.0",
            ("pip", ("flask==3.0",), ("--no-cache-dir", "-r=requirements.txt")),
        ),
        ("pip3 install .", ("pip", (".",), ())),
        ("python3 -m pip install uvicorn", ("pip", ("uvicorn",), ())),
        ("npm ci --omit=dev", ("npm", (), ("--omit=dev",))),
        ("npm install -g typescript", ("npm", ("typescript",), ("-g",))),
        (
            "yarn install --frozen-lockfile --production",
            ("yarn", (), ("--frozen-lockfile", "--production")),
        ),
        ("yarn", ("yarn", (), ())),
        ("pnpm add -D vite", ("pnpm", ("vite",), ("-D",))),
        ("poetry install --only main --no-root", ("poetry", (), ("--only=main", "--no-root"))),
        (
            "bundle install --jobs 4 --without development",
            ("bundle", (), ("--jobs=4", "--without=development")),
        ),
        ("gem install bundler -v 2.5", ("gem", ("bundler",), ("-v=2.5",))),
        ("composer install --no-dev", ("composer", (), ("--no-dev",))),
    ],
)
def test_package_installs(
    script: str, expected: tuple[str, tuple[str, ...], tuple[str, ...]]
) -> None:
    (cmd,) = split_commands(script)
    found = package_installs(cmd)
    assert found is not None
    assert (found.manager, found.packages, found.flags) == expected


@pytest.mark.parametrize(
    "script",
    ["apt-get update", "apk del gcc", "pip freeze", "npm run build", "ls -l", "pip --version"],
)
def test_not_package_installs(script: str) -> None:
    (cmd,) = split_commands(script)
    assert package_installs(cmd) is None
