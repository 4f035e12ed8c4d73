from django import forms


class PreferenceForm(forms.Form):
    """The channels a person chooses. Their WeCom id is not here: an administrator sets it (it signs them in)."""

    email_enabled = forms.BooleanField(label="接收电子邮件", required=False)
    wecom_enabled = forms.BooleanField(label="接收企业微信消息", required=False)

    def __init__(self, *args, wecom_userid: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.wecom_userid = wecom_userid

    def clean(self):
        data = super().clean()
        if data.get("wecom_enabled") and not self.wecom_userid.strip():
            self.add_error("wecom_enabled", "您还没有企业微信账号，请联系单位管理员设置后再开启企业微信消息。")
        return data
