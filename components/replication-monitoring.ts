import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { typeToken } from "./errors";
import { AlarmSpec, MonitoringPlan, alertTopicPolicy } from "./model";

/** Arguments of {@link ReplicationMonitoring}. */
export interface ReplicationMonitoringArgs {
    /**
     * What to register, from the pure `planMonitoring` (components/model/monitoring.ts): alert
     * topics, alarms, dashboards and failure-event notifications, each with its account and Region.
     */
    plan: MonitoringPlan;
    /**
     * One provider per account id (as AccountProviders makes them); every resource names its own
     * Region, so no provider is needed per Region.
     */
    providers: Readonly<Record<string, pulumi.ProviderResource>>;
    /**
     * Resources a bucket's notification configuration must wait for, by bucket name (the bucket,
     * when the same program creates it).
     */
    bucketDependencies?: Readonly<Record<string, readonly pulumi.Resource[]>>;
}

/**
 * How a fleet is watched: an SNS topic per source account and Region (unless one is given) with
 * the policy CloudWatch and S3 need, per-route alarms on failed operations (and, with RTC, on
 * latency), one Metrics Insights alarm per account and Region on failures of any rule, a
 * dashboard per source account and Region, and S3 failure-event notifications on the source
 * buckets that may have them. Everything comes from a MonitoringPlan; nothing is decided here.
 */
export class ReplicationMonitoring extends pulumi.ComponentResource {
    /** ARNs of the topics alarms and events notify (created here or given). */
    readonly topicArns: pulumi.Output<string[]>;
    /** Names of the alarms this component registers. */
    readonly alarmNames: pulumi.Output<string[]>;
    /** Names of the dashboards this component registers. */
    readonly dashboardNames: pulumi.Output<string[]>;
    readonly topics: Record<string, aws.sns.Topic> = {};
    readonly alarms: Record<string, aws.cloudwatch.MetricAlarm> = {};
    readonly dashboards: Record<string, aws.cloudwatch.Dashboard> = {};
    readonly notifications: Record<string, aws.s3.BucketNotification> = {};

    constructor(name: string, args: ReplicationMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super(typeToken("ReplicationMonitoring"), name, {}, opts);
        const plan = args.plan;
        this.topicArns = pulumi.output(plan.topics.map(t => t.arn));
        this.alarmNames = pulumi.output(plan.alarms.map(a => a.alarmName));
        this.dashboardNames = pulumi.output(plan.dashboards.map(d => d.name));
        if (opts?.urn) return;

        const providerOf = (account: string, what: string): pulumi.ProviderResource => {
            const p = args.providers[account];
            if (!p) throw new Error(`ReplicationMonitoring ${name}: no provider for account ${account} (needed by ${what}); pass one in providers.`);
            return p;
        };

        // A topic is ready once its policy lets CloudWatch and S3 publish (S3 checks that on write).
        const ready = new Map<string, pulumi.Resource[]>();
        for (const t of plan.topics.filter(x => x.create)) {
            const provider = providerOf(t.account, `topic ${t.arn}`);
            const topic = new aws.sns.Topic(t.resourceName, { name: t.name, region: t.region }, { parent: this, provider });
            const policy = new aws.sns.TopicPolicy(
                `${t.resourceName}-policy`,
                {
                    arn: t.arn,
                    region: t.region,
                    policy: JSON.stringify(alertTopicPolicy(t)),
                },
                { parent: this, provider, dependsOn: [topic] },
            );
            this.topics[t.arn] = topic;
            ready.set(t.arn, [topic, policy]);
        }

        for (const a of plan.alarms) {
            this.alarms[a.resourceName] = new aws.cloudwatch.MetricAlarm(a.resourceName, alarmArgs(a), {
                parent: this,
                provider: providerOf(a.account, `alarm ${a.alarmName}`),
                dependsOn: ready.get(a.topicArn) ?? [],
                // A route's alarm moves with its route between sharded stacks; `pulumi state move`
                // re-parents it to the root when this component stays (see ReplicationFleet's MOVABLE).
                aliases: [{ parent: pulumi.rootStackResource }],
            });
        }

        for (const d of plan.dashboards) {
            this.dashboards[d.resourceName] = new aws.cloudwatch.Dashboard(
                d.resourceName,
                {
                    dashboardName: d.name,
                    region: d.region,
                    dashboardBody: JSON.stringify(d.body),
                },
                { parent: this, provider: providerOf(d.account, `dashboard ${d.name}`) },
            );
        }

        // S3 keeps ONE notification configuration per bucket and a write replaces it: the plan only
        // names buckets this stack creates or whose manifest rows opt in (failure_events).
        for (const n of plan.notifications) {
            this.notifications[n.bucket] = new aws.s3.BucketNotification(
                n.resourceName,
                {
                    bucket: n.bucket,
                    region: n.region,
                    topics: [{ id: "s3-replication-failure-events", topicArn: n.topicArn, events: n.events }],
                },
                {
                    parent: this,
                    provider: providerOf(n.account, `notifications of ${n.bucket}`),
                    dependsOn: [...(ready.get(n.topicArn) ?? []), ...(args.bucketDependencies?.[n.bucket] ?? [])],
                },
            );
        }

        this.registerOutputs({ topicArns: this.topicArns, alarmNames: this.alarmNames, dashboardNames: this.dashboardNames });
    }
}

/** The MetricAlarm inputs of one planned alarm: a single metric, or metric queries. */
function alarmArgs(a: AlarmSpec): aws.cloudwatch.MetricAlarmArgs {
    const common: aws.cloudwatch.MetricAlarmArgs = {
        name: a.alarmName,
        region: a.region,
        alarmDescription: a.description,
        comparisonOperator: a.comparisonOperator,
        threshold: a.threshold,
        evaluationPeriods: a.evaluationPeriods,
        datapointsToAlarm: a.datapointsToAlarm,
        treatMissingData: a.treatMissingData,
        alarmActions: [a.topicArn],
        okActions: [a.topicArn],
    };
    if (a.metric) {
        return {
            ...common,
            namespace: a.metric.namespace,
            metricName: a.metric.metricName,
            dimensions: a.metric.dimensions,
            statistic: a.metric.stat,
            period: a.metric.period,
        };
    }
    return {
        ...common,
        metricQueries: (a.queries ?? []).map(q => ({
            id: q.id,
            returnData: q.returnData,
            ...(q.expression !== undefined ? { expression: q.expression } : {}),
            ...(q.period !== undefined ? { period: q.period } : {}),
            ...(q.label !== undefined ? { label: q.label } : {}),
            ...(q.metric
                ? {
                      metric: {
                          namespace: q.metric.namespace,
                          metricName: q.metric.metricName,
                          dimensions: q.metric.dimensions,
                          stat: q.metric.stat,
                          period: q.metric.period,
                      },
                  }
                : {}),
        })),
    };
}
