from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "绩效运行监控"

    def ready(self):
        from evaluations import prefill
        from monitoring import selectors, spend_rules
        from projects import models as projects
        from spending import services as spending

        spending.rules_source(spend_rules.year_rules)  # the spending pages grade by the year's rule pack
        projects.new_year_points_source(spend_rules.new_year_points)  # a new year takes the default pack's points
        prefill.register(selectors.last_current_values)  # a self-evaluation starts from the last approved report
