from django import forms


class PreferenceForm(forms.Form):
    email_enabled = forms.BooleanField(label="接收电子邮件", required=False)
    wecom_enabled = forms.BooleanField(label="接收企业微信消息", required=False)
    wecom_userid = forms.CharField(
        label="企业微信账号（userid）", max_length=64, required=False,
        help_text="企业微信通讯录中的账号，不是姓名或手机号；不清楚请咨询管理员。",
    )

    def clean(self):
        data = super().clean()
        if data.get("wecom_enabled") and not (data.get("wecom_userid") or "").strip():
            self.add_error("wecom_userid", "要接收企业微信消息，请填写企业微信账号。")
        return data
