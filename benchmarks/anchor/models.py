from django.db import models


class Agency(models.Model):
    code = models.CharField(max_length=20, unique=True)

    class Meta:
        permissions = [("lead_agency", "局领导"), ("review_agency", "财政审核")]


class Section(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    name = models.CharField(max_length=100)

    class Meta:
        permissions = [("head_section", "科室负责人")]


class Sheet(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    section = models.ForeignKey(Section, on_delete=models.PROTECT)
    title = models.CharField(max_length=200)
    approved_by = models.CharField(max_length=150, blank=True)
