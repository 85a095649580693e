import factory

from kechuang.accounts.models import Membership, OperatorMandate, User
from kechuang.core.factories import RegionFactory


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    password = factory.django.Password("kechuang-test-pw")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory("kechuang.directory.factories.OrganizationFactory")
    role = Membership.Role.ADMIN


class OperatorMandateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OperatorMandate

    user = factory.SubFactory(UserFactory)
    region = factory.SubFactory(RegionFactory)
    office = "科协"
