import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.accounts.roles import ensure_roles

PASSWORD = "a-long-test-password-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    adult_confirmed_at = factory.LazyFunction(timezone.now)
    time_zone = "Europe/London"
    country = "GB"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if not create:
            return
        ensure_roles()
        names = ["member", *(extracted or [])]
        self.groups.add(*Group.objects.filter(name__in=names))
        self.save()
