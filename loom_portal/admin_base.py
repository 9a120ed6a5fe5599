"""The admin adapter over authz and services (DESIGN.md §3).

``PolicyAdmin`` takes its queryset from ``authz.restrict`` and answers every
``has_*_permission`` with ``authz.can``. Saves, deletes and bulk deletes go
through the subclass's ``save_through_service`` / ``delete_through_service``,
never ``obj.save()``. Service errors come back to the form as field errors,
so nothing is half-saved and nothing ends in a 500.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from loom_portal import authz


class ServiceForm(forms.ModelForm):
    """A ModelForm whose ``save`` never writes; the admin calls a service with ``cleaned_data``."""

    def save(self, commit=True):
        return self.instance

    def _post_clean(self):
        # Skip ModelForm's model validation of the instance: the service validates.
        pass


class PolicyAdmin(admin.ModelAdmin):
    form = ServiceForm
    #: {"view": perm, "change": perm, "delete": perm, "add": role-perm}
    perms: dict[str, str] = {}

    # --- reads ---------------------------------------------------------------
    def get_queryset(self, request):
        return authz.restrict(super().get_queryset(request), request.user, self.perms["view"])

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and not request.user.is_superuser:
            field.queryset = self.restrict_choices(request, db_field.related_model, field.queryset)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and not request.user.is_superuser:
            field.queryset = self.restrict_choices(request, db_field.related_model, field.queryset)
        return field

    def restrict_choices(self, request, model, queryset):
        """Related choices come from the actor's tenant only."""
        if any(f.name == "tenant" for f in model._meta.fields):
            return queryset.filter(tenant=request.user.tenant_id)
        return queryset

    # --- permissions ---------------------------------------------------------
    def _admin_member(self, request):
        return request.user.is_superuser or authz.can(request.user, "loom_portal.access_admin")

    def has_module_permission(self, request):
        return self._admin_member(request)

    def has_view_permission(self, request, obj=None):
        if not self._admin_member(request):
            return False
        return obj is None or authz.can(request.user, self.perms["view"], obj)

    def has_change_permission(self, request, obj=None):
        if "change" not in self.perms or not self._admin_member(request):
            return False
        return obj is None or authz.can(request.user, self.perms["change"], obj)

    def has_delete_permission(self, request, obj=None):
        if "delete" not in self.perms or not self._admin_member(request):
            return False
        return obj is None or authz.can(request.user, self.perms["delete"], obj)

    def has_add_permission(self, request):
        return "add" in self.perms and self._admin_member(request) and authz.can(request.user, self.perms["add"])

    # --- writes through services ------------------------------------------------
    def save_through_service(self, request, obj, data: dict, change: bool):
        raise NotImplementedError

    def delete_through_service(self, request, obj):
        raise NotImplementedError

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        admin_ = self

        class ServiceValidatingForm(form_class):
            def clean(self):
                cleaned = super().clean()
                if self.errors:
                    return cleaned
                try:
                    # Run the service in a savepoint that is rolled back, so its validation
                    # errors land on the form; the real call happens in save_model.
                    admin_._dry_run(request, obj, cleaned, change)
                except ValidationError as exc:
                    if hasattr(exc, "error_dict"):
                        for field, errors in exc.error_dict.items():
                            self.add_error(field if field in self.fields else None, errors)
                    else:
                        self.add_error(None, exc)
                except PermissionError as exc:
                    self.add_error(None, str(exc))
                return cleaned

        return ServiceValidatingForm

    def _dry_run(self, request, obj, data, change):
        from django.db import transaction

        class _Rollback(Exception):
            pass

        try:
            with transaction.atomic():
                self.save_through_service(request, obj, dict(data), change)
                raise _Rollback
        except _Rollback:
            pass

    def save_model(self, request, obj, form, change):
        saved = self.save_through_service(request, obj if change else None, form.cleaned_data, change)
        if saved is not None:
            obj.__dict__.update(saved.__dict__)  # the admin logs and redirects with ``obj``

    def save_related(self, request, form, formsets, change):
        pass  # relations are written by the service

    def get_deleted_objects(self, objs, request):
        deletable, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        # Django would ask for model-level delete permissions on every cascaded row (e.g.
        # guardian's permission rows); the policy and the service decide instead.
        return deletable, model_count, set(), protected

    def delete_model(self, request, obj):
        self.delete_through_service(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            try:
                self.delete_through_service(request, obj)
            except (ValidationError, PermissionError) as exc:
                messages.error(request, f"{obj}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")


class ReadOnlyPolicyAdmin(PolicyAdmin):
    """For append-only or system-written records: view and filter, never change."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
