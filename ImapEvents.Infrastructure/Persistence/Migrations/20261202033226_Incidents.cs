using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace ImapEvents.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Incidents : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "CertificateExpiresAt",
                table: "mailbox_status",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CertificateIssuer",
                table: "mailbox_status",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CertificateSubject",
                table: "mailbox_status",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "CertificateWarnedOn",
                table: "mailbox_status",
                type: "date",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "OpenIncidentId",
                table: "mailbox_status",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "StaleSince",
                table: "mailbox_status",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "CertificateExpiresAt",
                table: "imap_events",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CertificateIssuer",
                table: "imap_events",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<TimeSpan>(
                name: "Downtime",
                table: "imap_events",
                type: "interval",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "FailureNumber",
                table: "imap_events",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "InMaintenance",
                table: "imap_events",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<Guid>(
                name: "IncidentId",
                table: "imap_events",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "StageChangeNumber",
                table: "imap_events",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "EscalateAfterMinutes",
                table: "event_rules",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "EscalationActions",
                table: "event_rules",
                type: "jsonb",
                nullable: false,
                defaultValueSql: "'[]'::jsonb");

            migrationBuilder.AddColumn<int>(
                name: "FireAfterFailures",
                table: "event_rules",
                type: "integer",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<bool>(
                name: "GroupByServer",
                table: "event_rules",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "Notify",
                table: "event_rules",
                type: "character varying(20)",
                maxLength: 20,
                nullable: false,
                defaultValue: "EveryEvent");

            migrationBuilder.AddColumn<bool>(
                name: "NotifyOnRecovery",
                table: "event_rules",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<Guid>(
                name: "GroupId",
                table: "event_rule_matches",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Held",
                table: "event_rule_matches",
                type: "character varying(30)",
                maxLength: 30,
                nullable: true);

            migrationBuilder.Sql("UPDATE event_rule_matches SET \"Held\" = 'Snoozed' WHERE \"Snoozed\";");

            migrationBuilder.AddColumn<Guid>(
                name: "GroupId",
                table: "deliveries",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Trigger",
                table: "deliveries",
                type: "character varying(20)",
                maxLength: 20,
                nullable: false,
                defaultValue: "Event");

            migrationBuilder.CreateTable(
                name: "incidents",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    MailboxId = table.Column<Guid>(type: "uuid", nullable: true),
                    MailboxName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ServerName = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    ServerPort = table.Column<int>(type: "integer", nullable: false),
                    LoginUsername = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: false),
                    Ssl = table.Column<bool>(type: "boolean", nullable: false),
                    Stage = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    ErrorKind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    LastError = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    OpenedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    LastFailureAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    FailedChecks = table.Column<int>(type: "integer", nullable: false),
                    StageChanges = table.Column<int>(type: "integer", nullable: false),
                    ClosedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    AcknowledgedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    AcknowledgedById = table.Column<string>(type: "character varying(450)", maxLength: 450, nullable: true),
                    AcknowledgedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    AcknowledgementNote = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    HeldByMaintenance = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_incidents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_incidents_mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "maintenance_windows",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Recurrence = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    StartsAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    EndsAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Days = table.Column<int>(type: "integer", nullable: false),
                    TimeFrom = table.Column<TimeOnly>(type: "time without time zone", nullable: true),
                    TimeTo = table.Column<TimeOnly>(type: "time without time zone", nullable: true),
                    TimeZoneId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    Scope = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    ServerPattern = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: true),
                    MailboxIds = table.Column<List<Guid>>(type: "uuid[]", nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    xmin = table.Column<uint>(type: "xid", rowVersion: true, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_maintenance_windows", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "notification_groups",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    RuleId = table.Column<Guid>(type: "uuid", nullable: false),
                    RuleName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ServerName = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    ServerPort = table.Column<int>(type: "integer", nullable: false),
                    Stage = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    OpenedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    SendAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    SentAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    FirstEventId = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_notification_groups", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "incident_changes",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    IncidentId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    At = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Stage = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    PreviousStage = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    ErrorKind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Message = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    UserName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_incident_changes", x => x.Id);
                    table.ForeignKey(
                        name: "FK_incident_changes_incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "incident_notifications",
                columns: table => new
                {
                    IncidentId = table.Column<Guid>(type: "uuid", nullable: false),
                    RuleId = table.Column<Guid>(type: "uuid", nullable: false),
                    RuleName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    FirstNotifiedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    LastNotifiedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    StageChangeNumber = table.Column<int>(type: "integer", nullable: false),
                    Notifications = table.Column<int>(type: "integer", nullable: false),
                    EscalateAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    EscalatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    RecoveryNotifiedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_incident_notifications", x => new { x.IncidentId, x.RuleId });
                    table.ForeignKey(
                        name: "FK_incident_notifications_incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "notification_group_members",
                columns: table => new
                {
                    GroupId = table.Column<Guid>(type: "uuid", nullable: false),
                    EventId = table.Column<Guid>(type: "uuid", nullable: false),
                    IncidentId = table.Column<Guid>(type: "uuid", nullable: true),
                    MailboxName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    LoginUsername = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: false),
                    ErrorMessage = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    OccurredAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_notification_group_members", x => new { x.GroupId, x.EventId });
                    table.ForeignKey(
                        name: "FK_notification_group_members_notification_groups_GroupId",
                        column: x => x.GroupId,
                        principalTable: "notification_groups",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_imap_events_IncidentId_OccurredAt",
                table: "imap_events",
                columns: new[] { "IncidentId", "OccurredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_incident_changes_IncidentId_At",
                table: "incident_changes",
                columns: new[] { "IncidentId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_incident_notifications_due",
                table: "incident_notifications",
                column: "EscalateAt",
                filter: "\"EscalatedAt\" IS NULL AND \"EscalateAt\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_incidents_MailboxId_OpenedAt",
                table: "incidents",
                columns: new[] { "MailboxId", "OpenedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_incidents_open_per_mailbox",
                table: "incidents",
                column: "MailboxId",
                unique: true,
                filter: "\"ClosedAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_incidents_OpenedAt",
                table: "incidents",
                column: "OpenedAt");

            migrationBuilder.CreateIndex(
                name: "IX_notification_groups_due",
                table: "notification_groups",
                column: "SendAt",
                filter: "\"SentAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_notification_groups_gathering",
                table: "notification_groups",
                columns: new[] { "RuleId", "ServerName", "ServerPort", "Stage" },
                unique: true,
                filter: "\"SentAt\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "incident_changes");

            migrationBuilder.DropTable(
                name: "incident_notifications");

            migrationBuilder.DropTable(
                name: "maintenance_windows");

            migrationBuilder.DropTable(
                name: "notification_group_members");

            migrationBuilder.DropTable(
                name: "incidents");

            migrationBuilder.DropTable(
                name: "notification_groups");

            migrationBuilder.DropIndex(
                name: "IX_imap_events_IncidentId_OccurredAt",
                table: "imap_events");

            migrationBuilder.DropColumn(
                name: "CertificateExpiresAt",
                table: "mailbox_status");

            migrationBuilder.DropColumn(
                name: "CertificateIssuer",
                table: "mailbox_status");

            migrationBuilder.DropColumn(
                name: "CertificateSubject",
                table: "mailbox_status");

            migrationBuilder.DropColumn(
                name: "CertificateWarnedOn",
                table: "mailbox_status");

            migrationBuilder.DropColumn(
                name: "OpenIncidentId",
                table: "mailbox_status");

            migrationBuilder.DropColumn(
                name: "StaleSince",
                table: "mailbox_status");

            migrationBuilder.DropColumn(
                name: "CertificateExpiresAt",
                table: "imap_events");

            migrationBuilder.DropColumn(
                name: "CertificateIssuer",
                table: "imap_events");

            migrationBuilder.DropColumn(
                name: "Downtime",
                table: "imap_events");

            migrationBuilder.DropColumn(
                name: "FailureNumber",
                table: "imap_events");

            migrationBuilder.DropColumn(
                name: "InMaintenance",
                table: "imap_events");

            migrationBuilder.DropColumn(
                name: "IncidentId",
                table: "imap_events");

            migrationBuilder.DropColumn(
                name: "StageChangeNumber",
                table: "imap_events");

            migrationBuilder.DropColumn(
                name: "EscalateAfterMinutes",
                table: "event_rules");

            migrationBuilder.DropColumn(
                name: "EscalationActions",
                table: "event_rules");

            migrationBuilder.DropColumn(
                name: "FireAfterFailures",
                table: "event_rules");

            migrationBuilder.DropColumn(
                name: "GroupByServer",
                table: "event_rules");

            migrationBuilder.DropColumn(
                name: "Notify",
                table: "event_rules");

            migrationBuilder.DropColumn(
                name: "NotifyOnRecovery",
                table: "event_rules");

            migrationBuilder.DropColumn(
                name: "GroupId",
                table: "event_rule_matches");

            migrationBuilder.DropColumn(
                name: "Held",
                table: "event_rule_matches");

            migrationBuilder.DropColumn(
                name: "GroupId",
                table: "deliveries");

            migrationBuilder.DropColumn(
                name: "Trigger",
                table: "deliveries");
        }
    }
}
