"""The checking harness: offline translation, S3 placeholders, cfn-lint findings, ``sam validate --lint``."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Dict

import pytest

from tests.support import samcheck

SAM = "AWS::Serverless-2016-10-31"


def _key(path: Path) -> str:
    return hashlib.sha256(path.as_posix().encode()).hexdigest()[:16] + "/" + path.name


def _function(**props: Any) -> Dict[str, Any]:
    return {"Type": "AWS::Serverless::Function", "Properties": {"Runtime": "python3.12", "Handler": "app.handler", **props}}


def test_package_like_replaces_local_paths_only(tmp_path: Path) -> None:
    template: Dict[str, Any] = {
        "Transform": SAM,
        "Globals": {"Function": {"CodeUri": "shared"}, "Api": {"DefinitionUri": "api.yaml"}},
        "Resources": {
            "Local": _function(CodeUri="src/app"),
            "S3String": _function(CodeUri="s3://bucket/key.zip"),
            "S3Dict": _function(CodeUri={"Bucket": "b", "Key": "k"}),
            "Inline": _function(InlineCode="def handler(e, c): pass"),
            "Layer": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": ".sam-layers/WebLayer"}},
            "Machine": {"Type": "AWS::Serverless::StateMachine", "Properties": {"DefinitionUri": "sm.json"}},
            "App": {"Type": "AWS::Serverless::Application", "Properties": {"Location": "nested/template.yaml"}},
            "Remote": {"Type": "AWS::Serverless::Application", "Properties": {"Location": "https://example.com/t.yaml"}},
        },
    }
    out = samcheck.package_like(template, base_dir=tmp_path)
    resources = out["Resources"]
    bucket = samcheck.PLACEHOLDER_BUCKET
    assert out["Globals"] == {
        "Function": {"CodeUri": f"s3://{bucket}/{_key(tmp_path / 'shared')}"},
        "Api": {"DefinitionUri": f"s3://{bucket}/{_key(tmp_path / 'api.yaml')}"},
    }
    assert resources["Local"]["Properties"]["CodeUri"] == f"s3://{bucket}/{_key(tmp_path / 'src/app')}"
    assert resources["S3String"]["Properties"]["CodeUri"] == "s3://bucket/key.zip"
    assert resources["S3Dict"]["Properties"]["CodeUri"] == {"Bucket": "b", "Key": "k"}
    assert "CodeUri" not in resources["Inline"]["Properties"]
    assert resources["Layer"]["Properties"]["ContentUri"] == f"s3://{bucket}/{_key(tmp_path / '.sam-layers/WebLayer')}"
    assert resources["Machine"]["Properties"]["DefinitionUri"] == f"s3://{bucket}/{_key(tmp_path / 'sm.json')}"
    assert resources["App"]["Properties"]["Location"] == (
        f"https://{bucket}.s3.amazonaws.com/{_key(tmp_path / 'nested/template.yaml')}"
    )
    assert resources["Remote"]["Properties"]["Location"] == "https://example.com/t.yaml"
    assert template["Resources"]["Local"]["Properties"]["CodeUri"] == "src/app"  # the input is not touched


def test_package_like_gives_a_function_without_code_the_template_folder(tmp_path: Path) -> None:
    out = samcheck.package_like({"Resources": {"F": _function()}}, base_dir=tmp_path)
    assert out["Resources"]["F"]["Properties"]["CodeUri"] == f"s3://{samcheck.PLACEHOLDER_BUCKET}/{_key(tmp_path)}"


def test_placeholders_follow_the_target_not_the_spelling(tmp_path: Path) -> None:
    # A template written to another folder, its relative paths rewritten, packages the same.
    here = samcheck.package_like({"Resources": {"F": _function(CodeUri="src")}}, base_dir=tmp_path)
    there = samcheck.package_like({"Resources": {"F": _function(CodeUri="../src")}}, base_dir=tmp_path / "out")
    assert here == there


def test_translate_offline_with_region_and_bundled_managed_policies(tmp_path: Path) -> None:
    template = {"Transform": SAM, "Resources": {"F": _function(CodeUri="src", Policies=["AmazonS3ReadOnlyAccess"])}}
    out = samcheck.translate(template, base_dir=tmp_path, region="cn-north-1")
    function = out["Resources"]["F"]
    assert function["Type"] == "AWS::Lambda::Function"
    assert function["Properties"]["Code"] == {"S3Bucket": samcheck.PLACEHOLDER_BUCKET, "S3Key": _key(tmp_path / "src")}
    assert out["Resources"]["FRole"]["Properties"]["ManagedPolicyArns"] == [
        "arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws-cn:iam::aws:policy/AmazonS3ReadOnlyAccess",
    ]
    assert "Transform" not in out


def test_translate_answers_serverless_application_repository_offline(tmp_path: Path) -> None:
    location = {"ApplicationId": "arn:aws:serverlessrepo:us-east-1:123456789012:applications/hello", "SemanticVersion": "1.2.3"}
    template = {"Resources": {"App": {"Type": "AWS::Serverless::Application", "Properties": {"Location": location}}}}
    out = samcheck.translate(template, base_dir=tmp_path)
    stack = out["Resources"]["App"]
    assert stack["Type"] == "AWS::CloudFormation::Stack"
    assert stack["Properties"]["TemplateURL"] == (
        f"https://{samcheck.PLACEHOLDER_BUCKET}.s3.amazonaws.com/sar/1.2.3/template.yaml"
    )


def test_translate_failure_carries_every_translator_message(tmp_path: Path) -> None:
    template = {
        "Resources": {
            "F": _function(CodeUri="src", Layers="arn:aws:lambda:us-east-1:123456789012:layer:x:1"),
            "G": _function(CodeUri="src", Events={"E": {"Type": "Nope"}}),
        }
    }
    with pytest.raises(samcheck.TranslationFailed) as caught:
        samcheck.translate(template, base_dir=tmp_path)
    assert caught.value.messages == [
        "Resource with id [F] is invalid. Type of property 'Layers' is invalid.",
        "Resource with id [G] is invalid. Event with id [E] is invalid. "
        "Resource dict has missing or invalid value for key Type. Event Type is: Nope.",
    ]


def test_load_sam_reads_short_form_tags(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text("Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                    "      Role: !GetAtt R.Arn\n      FunctionName: !Sub ${AWS::StackName}-f\n", encoding="utf-8")
    assert samcheck.load_sam(path)["Resources"]["F"]["Properties"] == {
        "Role": {"Fn::GetAtt": ["R", "Arn"]},
        "FunctionName": {"Fn::Sub": "${AWS::StackName}-f"},
    }


LINT_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src
      MemorySize: {memory}
"""


@pytest.mark.integration
def test_lint_reports_error_findings_of_a_sam_template(tmp_path: Path) -> None:
    assert samcheck.lint(LINT_TEMPLATE.format(memory=1)) == [
        "E3034 Resources/F/Properties/MemorySize 1 is less than the minimum of 128"
    ]
    path = tmp_path / "template.yaml"
    path.write_text(LINT_TEMPLATE.format(memory=256), encoding="utf-8")
    assert samcheck.lint(path) == []


@pytest.mark.integration
def test_lint_takes_a_translated_template(tmp_path: Path) -> None:
    translated = samcheck.translate(samcheck.load_sam_text(LINT_TEMPLATE.format(memory=1)), base_dir=tmp_path)
    assert samcheck.lint(translated) == ["E3034 Resources/F/Properties/MemorySize 1 is less than the minimum of 128"]


@pytest.mark.integration
def test_sam_validate_lint_offline(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(LINT_TEMPLATE.format(memory=256), encoding="utf-8")
    ok = samcheck.sam_validate_lint(path)
    assert (ok.returncode, ok.stdout.strip()) == (0, f"{path} is a valid SAM Template")
    path.write_text(LINT_TEMPLATE.format(memory=1), encoding="utf-8")
    bad = samcheck.sam_validate_lint(path)
    assert bad.returncode == 1
    assert "[E3034: Check if a number is between min and max] (1 is less than the minimum of 128)" in bad.stdout


def test_canonical_drops_hashes_of_the_named_types_only() -> None:
    translated = {
        "Resources": {
            "ApiDeployment0123456789": {
                "Type": "AWS::ApiGateway::Deployment",
                "Properties": {"Description": "RestApi deployment id: " + "ab" * 20},
            },
            "ApiStage": {"Type": "AWS::ApiGateway::Stage", "Properties": {"DeploymentId": {"Ref": "ApiDeployment0123456789"}}},
            "FnVersionabcdef0123": {"Type": "AWS::Lambda::Version", "Properties": {}},
        }
    }
    assert json.loads(samcheck.canonical(translated)) == {
        "Resources": {
            "ApiDeployment": {
                "Type": "AWS::ApiGateway::Deployment",
                "Properties": {"Description": "RestApi deployment id: <hash>"},
            },
            "ApiStage": {"Type": "AWS::ApiGateway::Stage", "Properties": {"DeploymentId": {"Ref": "ApiDeployment"}}},
            "FnVersionabcdef0123": {"Type": "AWS::Lambda::Version", "Properties": {}},
        }
    }
    assert "FnVersion\"" in samcheck.canonical(translated, unhash=["AWS::Lambda::Version"])


@pytest.mark.integration
def test_lint_leaves_the_environment_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    samcheck.lint(LINT_TEMPLATE.format(memory=256))
    assert "AWS_DEFAULT_REGION" not in os.environ
