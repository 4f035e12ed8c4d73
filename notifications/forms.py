from django import forms


class PreferenceForm(forms.Form):
    """The channels a person chooses. Their WeCom id is not here: an administrator sets it (it signs them in).

    Without a WeCom id the WeCom option cannot be changed here: it is shown disabled with the stored choice (which
    takes effect once an administrator sets the id), neither validated nor saved, so it never blocks saving e-mail."""

    email_enabled = forms.BooleanField(label="接收电子邮件", required=False)
    wecom_enabled = forms.BooleanField(label="接收企业微信消息", required=False)

    def __init__(self, *args, wecom_userid: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.wecom_userid = wecom_userid
        if not wecom_userid.strip():
            self.fields["wecom_enabled"].disabled = True  # Django then keeps the initial value, whatever is posted
