from django import forms

from library.models import Entry
from library.selectors import entries_visible


class MergeForm(forms.Form):
    keep = forms.ModelChoiceField(
        label="合并到（保留的条目）", queryset=Entry.objects.none(),
        error_messages={"required": "请选择要保留的条目。", "invalid_choice": "请选择同一类别中在用的条目。"},
    )
    note = forms.CharField(label="说明", required=False, max_length=500)

    def __init__(self, *args, duplicate: Entry, user, **kwargs):
        super().__init__(*args, **kwargs)
        same_group = Entry.objects.filter(category=duplicate.category, subcategory=duplicate.subcategory, retired=False)
        self.fields["keep"].queryset = entries_visible(user, same_group.exclude(pk=duplicate.pk)).order_by("-recommended", "-use_count", "name")
