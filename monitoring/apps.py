from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "绩效运行监控"

    def ready(self):
        from evaluations import prefill
        from projects import models as projects
        from spending import sources as spending

        spending.rules_source(_year_rules)  # the spending pages grade by the year's rule pack
        projects.new_year_points_source(_new_year_points)  # a new year takes the default pack's points
        prefill.register(_last_current_values)  # a self-evaluation starts from the last approved report


# What the other apps call: monitoring's rules and selectors are imported on the first call, not when the app is
# ready (every process and command would load them, and the approval engine with them).


def _year_rules(year):
    from monitoring import spend_rules

    return spend_rules.year_rules(year)


def _new_year_points(year):
    from monitoring import spend_rules

    return spend_rules.new_year_points(year)


def _last_current_values(sheet):
    from monitoring import selectors

    return selectors.last_current_values(sheet)
