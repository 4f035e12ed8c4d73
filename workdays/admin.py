from django.contrib import admin

from workdays.models import CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """节假日与调休: overrides chinesecalendar day by day (``workdays.days``)."""

    list_display = ["date", "weekday", "kind", "note"]
    list_filter = ["kind", ("date", admin.DateFieldListFilter)]
    search_fields = ["note"]
    date_hierarchy = "date"

    @admin.display(description="星期")
    def weekday(self, obj):
        return "星期" + "一二三四五六日"[obj.date.weekday()]
