"""Seeds `backup_plans`: AWS Backup plans (moto stores plans but not their resource selections;
tests answer ListBackupSelections and GetBackupSelection from fixtures/recorded/backup through
the fault proxy).

Item fields: account, region, name.
"""


def seed(sessions, plans, ctx):
    for p in plans:
        backup = sessions.client("backup", p["account"], p["region"])
        backup.create_backup_plan(
            BackupPlan={
                "BackupPlanName": p["name"],
                "Rules": [{
                    "RuleName": "daily",
                    "TargetBackupVaultName": "Default",
                    "ScheduleExpression": "cron(0 5 ? * * *)",
                    "Lifecycle": {"DeleteAfterDays": 35},
                }],
            }
        )
