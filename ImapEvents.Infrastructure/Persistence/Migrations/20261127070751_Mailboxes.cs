using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ImapEvents.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Mailboxes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "mailboxes",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    DisplayName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ServerName = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    ServerPort = table.Column<int>(type: "integer", nullable: false),
                    Security = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    AcceptUntrustedCertificate = table.Column<bool>(type: "boolean", nullable: false),
                    LoginUsername = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: false),
                    ProtectedPassword = table.Column<string>(type: "text", nullable: false),
                    Folder = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    PollIntervalMinutes = table.Column<int>(type: "integer", nullable: false),
                    Enabled = table.Column<bool>(type: "boolean", nullable: false),
                    AfterImport = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    MoveToFolder = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    MaxMessageSizeKilobytes = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    xmin = table.Column<uint>(type: "xid", rowVersion: true, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_mailboxes", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "imap_events",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Type = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: false),
                    OccurredAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    MailboxId = table.Column<Guid>(type: "uuid", nullable: true),
                    MailboxName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ServerName = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    ServerPort = table.Column<int>(type: "integer", nullable: false),
                    LoginUsername = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: false),
                    Ssl = table.Column<bool>(type: "boolean", nullable: false),
                    Stage = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    ErrorKind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    ErrorMessage = table.Column<string>(type: "text", nullable: false),
                    CheckId = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_imap_events", x => x.Id);
                    table.ForeignKey(
                        name: "FK_imap_events_mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "imported_messages",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    MailboxId = table.Column<Guid>(type: "uuid", nullable: false),
                    UidValidity = table.Column<long>(type: "bigint", nullable: false),
                    Uid = table.Column<long>(type: "bigint", nullable: false),
                    MessageId = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    From = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    To = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    Subject = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    Date = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Size = table.Column<int>(type: "integer", nullable: false),
                    RawMime = table.Column<byte[]>(type: "bytea", nullable: false),
                    ImportedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ServerChangePending = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_imported_messages", x => x.Id);
                    table.ForeignKey(
                        name: "FK_imported_messages_mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "mailbox_checks",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    MailboxId = table.Column<Guid>(type: "uuid", nullable: false),
                    StartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    FinishedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    StageReached = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    Outcome = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    ErrorKind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    ErrorMessage = table.Column<string>(type: "text", nullable: true),
                    MessagesImported = table.Column<int>(type: "integer", nullable: false),
                    MessagesFailed = table.Column<int>(type: "integer", nullable: false),
                    Manual = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_mailbox_checks", x => x.Id);
                    table.ForeignKey(
                        name: "FK_mailbox_checks_mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "mailbox_status",
                columns: table => new
                {
                    MailboxId = table.Column<Guid>(type: "uuid", nullable: false),
                    LastCheckAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LastOutcome = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    LastStage = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    LastErrorKind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    LastError = table.Column<string>(type: "text", nullable: true),
                    ConsecutiveFailures = table.Column<int>(type: "integer", nullable: false),
                    LastSuccessAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    MessagesImported = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_mailbox_status", x => x.MailboxId);
                    table.ForeignKey(
                        name: "FK_mailbox_status_mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_imap_events_MailboxId_OccurredAt",
                table: "imap_events",
                columns: new[] { "MailboxId", "OccurredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_imap_events_OccurredAt",
                table: "imap_events",
                column: "OccurredAt");

            migrationBuilder.CreateIndex(
                name: "IX_imap_events_Type_OccurredAt",
                table: "imap_events",
                columns: new[] { "Type", "OccurredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_imported_messages_MailboxId_ServerChangePending",
                table: "imported_messages",
                columns: new[] { "MailboxId", "ServerChangePending" },
                filter: "\"ServerChangePending\"");

            migrationBuilder.CreateIndex(
                name: "IX_imported_messages_MailboxId_UidValidity_Uid",
                table: "imported_messages",
                columns: new[] { "MailboxId", "UidValidity", "Uid" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_mailbox_checks_MailboxId_StartedAt",
                table: "mailbox_checks",
                columns: new[] { "MailboxId", "StartedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_mailboxes_DisplayName",
                table: "mailboxes",
                column: "DisplayName");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "imap_events");

            migrationBuilder.DropTable(
                name: "imported_messages");

            migrationBuilder.DropTable(
                name: "mailbox_checks");

            migrationBuilder.DropTable(
                name: "mailbox_status");

            migrationBuilder.DropTable(
                name: "mailboxes");
        }
    }
}
