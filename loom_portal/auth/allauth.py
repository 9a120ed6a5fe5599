from allauth.account.adapter import DefaultAccountAdapter


class LoomAccountAdapter(DefaultAccountAdapter):
    """Local accounts are created by platform owners, never by self sign-up."""

    def is_open_for_signup(self, request):
        return False
