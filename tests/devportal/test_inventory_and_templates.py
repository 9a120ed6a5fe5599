"""The APIM inventory page and the Bicep template gallery."""

from pathlib import Path

from devportal.bicep import template_gallery

REPO = Path(__file__).resolve().parents[2]


def test_the_inventory_page_lists_apis_of_other_teams_with_products_and_subscriptions(apim, signed_in, consumer):
    apim.add_api("chat-ai", display_name="Chat completions", path="ai/chat", service_url="https://aoai.example")
    apim.add_product("starter", display_name="Starter", api_ids=["chat-ai"])
    apim.add_subscription("s1", product_id="starter")

    response = signed_in(consumer).get("/developers/apim/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Chat completions" in page and "<code>/ai/chat</code>" in page and "Starter" in page
    assert "1 (1 active)" in page


def test_the_inventory_page_says_when_apim_throttles(apim, signed_in, consumer, settings):
    settings.AZURE_RETRY_TOTAL = 0
    apim.throttle_next(retry_after=0, times=5)

    response = signed_in(consumer).get("/developers/apim/")

    assert response.status_code == 503
    assert "busy or unavailable" in response.content.decode()


def test_the_inventory_page_says_when_apim_is_not_configured(signed_in, consumer, settings):
    settings.APIM_SERVICE_NAME = ""
    response = signed_in(consumer).get("/developers/apim/")
    assert response.status_code == 200 and "not configured" in response.content.decode()


def test_the_gallery_reads_parameters_and_outputs_from_the_bicep_files(settings):
    templates = {t.relative_path: t for t in template_gallery()}

    main = templates["infra/bicep/main.bicep"]
    params = {p.name: p for p in main.parameters}
    assert params["azureCloud"].allowed == ["AzureCloud", "AzureUSGovernment"]
    assert params["environmentName"].required and not params["workloadName"].required
    assert params["workloadName"].default == "'loom'"
    assert "Short workload name" in params["workloadName"].description
    declared_outputs = [line.split()[1] for line in (REPO / "infra/bicep/main.bicep").read_text().splitlines()
                        if line.startswith("output ")]
    assert [o.name for o in main.outputs] == declared_outputs
    assert {pf.name for pf in main.param_files} == {"commercial", "gcc-high", "il5"}
    redis = templates["infra/bicep/modules/redis.bicep"]
    assert redis.parameters and redis.outputs


def test_each_parameter_file_gets_a_copyable_deployment_command(signed_in, consumer):
    page = signed_in(consumer).get("/developers/templates/").content.decode()

    assert ("az deployment group create --resource-group &lt;resource-group&gt; "
            "--template-file infra/bicep/main.bicep --parameters infra/bicep/gcc-high.bicepparam") in page
    assert "az cloud set --name AzureUSGovernment" in page
    assert "export LOOM_IMAGE_TAG=..." in page
