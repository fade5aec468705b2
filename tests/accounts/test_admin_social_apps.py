"""GitHub and GitLab applications in the admin: the client secret is stored encrypted and never shown back."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.test import RequestFactory
from django.urls import reverse

from accounts.adapters import SocialAccountAdapter
from accounts.models import SocialAppSecret
from accounts.services import user_create
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:socialaccount_socialapp_add")
LIST_URL = reverse("admin:socialaccount_socialapp_changelist")
SECRET = "gloas-very-secret-client-secret"


def app_form(**fields: str) -> dict[str, str]:
    data = {
        "provider": "gitlab",
        "name": "Company GitLab",
        "client_id": "gitlab-client-id",
        "client_secret": SECRET,
        "base_url": "https://gitlab.example.com/",
        "trust_emails": "on",
    }
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}  # None: the field is not posted


def change_url(app: SocialApp) -> str:
    return reverse("admin:socialaccount_socialapp_change", args=[app.pk])


@pytest.fixture
def gitlab_app(client_for, carol) -> SocialApp:
    client_for(carol).post(ADD_URL, app_form())
    return SocialApp.objects.get()


def test_admin_creates_a_gitlab_app_with_its_secret_stored_encrypted(client_for, carol):
    response = client_for(carol).post(ADD_URL, app_form())

    assert response.status_code == 302
    app = SocialApp.objects.get()
    assert (app.provider, app.name, app.client_id, app.secret) == ("gitlab", "Company GitLab", "gitlab-client-id", "")
    assert app.settings == {"gitlab_url": "https://gitlab.example.com", "verified_email": True}
    assert SocialAppSecret.objects.get(app=app).secret == SECRET


def test_addresses_are_not_trusted_unless_the_box_is_ticked(client_for, carol):
    client_for(carol).post(ADD_URL, app_form(trust_emails=None))

    assert SocialApp.objects.get().settings["verified_email"] is False


def test_sign_in_gets_the_decrypted_secret_and_the_apps_settings(gitlab_app):
    request = RequestFactory().get("/")
    adapter = SocialAccountAdapter()

    [app] = adapter.list_apps(request, provider="gitlab")

    assert app.secret == SECRET
    assert adapter.is_email_verified(app.get_provider(request), "anyone@example.com") is True


def test_a_new_app_needs_a_secret(client_for, carol):
    response = client_for(carol).post(ADD_URL, app_form(client_secret=""))

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not SocialApp.objects.exists()


def test_the_change_page_never_shows_the_secret(client_for, carol, gitlab_app):
    response = client_for(carol).get(change_url(gitlab_app))

    assert response.status_code == 200
    assert SECRET not in response.content.decode()
    assert "Leave empty to keep the current secret." in response.content.decode()


def test_saving_with_an_empty_secret_keeps_the_stored_one(client_for, carol, gitlab_app):
    response = client_for(carol).post(change_url(gitlab_app), app_form(client_secret="", name="Renamed"))

    assert response.status_code == 302
    gitlab_app.refresh_from_db()
    assert gitlab_app.name == "Renamed"
    assert SocialAppSecret.objects.get(app=gitlab_app).secret == SECRET


def test_a_new_secret_replaces_the_stored_one(client_for, carol, gitlab_app):
    client_for(carol).post(change_url(gitlab_app), app_form(client_secret="rotated-at-gitlab"))

    assert SocialAppSecret.objects.get(app=gitlab_app).secret == "rotated-at-gitlab"
    assert SocialAppSecret.objects.count() == 1


def test_a_secret_left_in_clear_by_an_older_admin_moves_to_encrypted_storage(client_for, carol):
    app = SocialApp.objects.create(provider="gitlab", name="Old", client_id="old-id", secret="clear-secret")

    response = client_for(carol).post(change_url(app), app_form(client_secret=""))

    assert response.status_code == 302
    app.refresh_from_db()
    assert app.secret == ""
    assert SocialAppSecret.objects.get(app=app).secret == "clear-secret"


def test_github_apps_store_no_base_url(client_for, carol):
    response = client_for(carol).post(ADD_URL, app_form(provider="github", base_url="https://github.example.com"))

    assert response.status_code == 200
    assert "GitHub Enterprise is set with the GITHUB_URL environment variable." in response.content.decode()
    assert not SocialApp.objects.exists()


def test_switching_to_github_drops_the_gitlab_url(client_for, carol, gitlab_app):
    client_for(carol).post(change_url(gitlab_app), app_form(provider="github", base_url="", client_secret=""))

    gitlab_app.refresh_from_db()
    assert gitlab_app.provider == "github"
    assert "gitlab_url" not in gitlab_app.settings


def test_a_plain_http_base_url_is_refused(client_for, carol):
    response = client_for(carol).post(ADD_URL, app_form(base_url="http://gitlab.example.com"))

    assert response.status_code == 200
    assert "Use an https:// address" in response.content.decode()
    assert not SocialApp.objects.exists()


def _provider_error(response) -> list[str]:
    """The errors shown next to the provider field."""
    return response.context["adminform"].form.errors.get("provider", [])


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_a_second_app_for_the_same_provider_is_refused(client_for, carol, provider):
    client = client_for(carol)
    client.post(ADD_URL, app_form(provider=provider, base_url=""))

    response = client.post(ADD_URL, app_form(provider=provider, base_url="", name="Another", client_id="other-id"))

    assert response.status_code == 200
    assert _provider_error(response) == ["An application for this provider already exists: change that one instead."]
    assert SocialApp.objects.count() == 1


def test_a_second_gitlab_for_another_server_is_refused_too(client_for, carol, gitlab_app):
    """allauth finds the GitLab app by name alone (one sign-in URL, one callback URL): one GitLab server per site."""
    response = client_for(carol).post(
        ADD_URL, app_form(name="Other GitLab", client_id="other-id", base_url="https://gitlab.other.example")
    )

    assert response.status_code == 200
    assert "An application for this provider already exists" in _provider_error(response)[0]
    assert SocialApp.objects.count() == 1


def test_an_app_answering_to_the_providers_name_by_its_provider_id_counts_as_one(client_for, carol):
    """allauth looks a provider's apps up by `provider` or `provider_id`; a row made in a shell may use the second."""
    SocialApp.objects.create(provider="openid_connect", provider_id="github", name="Shell", client_id="shell-id")

    response = client_for(carol).post(ADD_URL, app_form(provider="github", base_url=""))

    assert response.status_code == 200
    assert "An application for this provider already exists" in _provider_error(response)[0]
    assert SocialApp.objects.count() == 1


@pytest.mark.parametrize(
    "configured",
    [{"APPS": [{"client_id": "from-env", "secret": "s"}]}, {"APP": {"client_id": "from-env", "secret": "s"}}],
)
@pytest.mark.parametrize(("provider", "variable"), [("github", "GITHUB_CLIENT_ID"), ("gitlab", "GITLAB_CLIENT_ID")])
def test_a_provider_configured_from_the_environment_is_refused(
    settings, client_for, carol, provider, variable, configured
):
    settings.SOCIALACCOUNT_PROVIDERS = {**settings.SOCIALACCOUNT_PROVIDERS, provider: configured}

    response = client_for(carol).post(ADD_URL, app_form(provider=provider, base_url=""))

    assert response.status_code == 200
    assert _provider_error(response) == [
        f"This provider is configured from the environment ({variable}); remove it there before configuring it here."
    ]
    assert not SocialApp.objects.exists()


def test_the_list_warns_of_a_provider_configured_twice(settings, client_for, carol, gitlab_app):
    """Rows from before the form refused them, or an environment variable set after the row: sign-in with it is off."""
    SocialApp.objects.create(provider="github", name="GitHub", client_id="row-id")
    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "github": {"APPS": [{"client_id": "from-env", "secret": "env-secret"}]},
    }

    response = client_for(carol).get(LIST_URL)

    warnings = [str(message) for message in response.context["messages"]]
    assert warnings == [
        "GitHub has more than one application (here, or here and in the environment), so nobody can sign in with it: "
        "delete all but one."
    ]


def test_the_list_warns_of_nothing_when_each_provider_has_one_app(client_for, carol, gitlab_app):
    SocialApp.objects.create(provider="github", name="GitHub", client_id="row-id")

    response = client_for(carol).get(LIST_URL)

    assert list(response.context["messages"]) == []


@pytest.mark.parametrize("url", [LIST_URL, ADD_URL])
def test_agent_cannot_reach_the_social_app_admin(client_for, bob, url):
    assert client_for(bob).get(url).status_code == 403


def test_agent_cannot_add_a_social_app(client_for, bob):
    response = client_for(bob).post(ADD_URL, app_form())

    assert response.status_code == 403
    assert not SocialApp.objects.exists()


def test_agent_cannot_change_a_social_app(client_for, bob, gitlab_app):
    response = client_for(bob).post(change_url(gitlab_app), app_form(client_secret="bobs-secret"))

    assert response.status_code == 403
    assert SocialAppSecret.objects.get(app=gitlab_app).secret == SECRET


def test_requester_is_sent_to_sign_in(client_for, mallory):
    response = client_for(mallory).get(LIST_URL)

    assert response.status_code == 302
    assert not SocialApp.objects.exists()


def test_admin_sees_the_apps_listed_without_their_secrets(client_for, carol, gitlab_app):
    response = client_for(carol).get(LIST_URL)

    assert response.status_code == 200
    assert "Company GitLab" in response.content.decode()
    assert SECRET not in response.content.decode()


def _tokens_of_new_accounts(app: SocialApp, count: int) -> None:
    for number in range(SocialToken.objects.count(), SocialToken.objects.count() + count):
        user = user_create(email=f"dev{number}@example.com", password=PASSWORD, name=f"Developer {number}")
        account = SocialAccount.objects.create(user=user, provider=app.provider, uid=f"uid-{number}")
        SocialToken.objects.create(app=app, account=account, token=f"token-{number}")


def test_the_token_list_shows_30_tokens_in_as_many_queries_as_3(client_for, carol, django_assert_max_num_queries):
    """allauth's list names each token's application (a nullable key, which its list fetched row by row)."""
    app = SocialApp.objects.create(provider="github", name="Company GitHub", client_id="github-client-id")
    client = client_for(carol)
    url = reverse("admin:socialaccount_socialtoken_changelist")
    _tokens_of_new_accounts(app, 3)
    with django_assert_max_num_queries(10) as three:
        client.get(url)
    _tokens_of_new_accounts(app, 27)

    with django_assert_max_num_queries(len(three)):
        response = client.get(url)

    assert len(response.context["cl"].result_list) == 30
    assert "Company GitHub" in response.content.decode()
