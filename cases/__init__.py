"""The case service, used by the API's routers and the pages alike: submission
(`submission`), the case as people see it and its measures (`view`), a department's tasks
(`tasks`) and acting on them (`review`), the applicant's supplement and withdrawal
(`applicant`), the Temporal update call behind every action (`updates`), the errors they
raise (`errors`) and the trail they record in (`trail`); the reconciler and the notifier run
beside the API."""
