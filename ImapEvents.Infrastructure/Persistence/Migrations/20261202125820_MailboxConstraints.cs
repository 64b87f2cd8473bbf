using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ImapEvents.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class MailboxConstraints : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Rows written by hand before the database refused them: made readable, and the ones whose connection
            // security was unknown disabled (on TLS from the first byte, never plain) until an administrator looks.
            migrationBuilder.Sql("""
                UPDATE mailboxes SET "PollIntervalMinutes" = LEAST(GREATEST("PollIntervalMinutes", 1), 1440)
                WHERE "PollIntervalMinutes" NOT BETWEEN 1 AND 1440;
                UPDATE mailboxes SET "AfterImport" = 'MarkSeen' WHERE "AfterImport" NOT IN ('MarkSeen', 'MoveToFolder', 'Delete');
                UPDATE mailboxes SET "Security" = 'SslOnConnect', "Enabled" = false WHERE "Security" NOT IN ('None', 'StartTls', 'SslOnConnect');
                """);

            migrationBuilder.AddCheckConstraint(
                name: "CK_mailboxes_after_import",
                table: "mailboxes",
                sql: "\"AfterImport\" IN ('MarkSeen', 'MoveToFolder', 'Delete')");

            migrationBuilder.AddCheckConstraint(
                name: "CK_mailboxes_poll_interval",
                table: "mailboxes",
                sql: "\"PollIntervalMinutes\" BETWEEN 1 AND 1440");

            migrationBuilder.AddCheckConstraint(
                name: "CK_mailboxes_security",
                table: "mailboxes",
                sql: "\"Security\" IN ('None', 'StartTls', 'SslOnConnect')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_mailboxes_after_import",
                table: "mailboxes");

            migrationBuilder.DropCheckConstraint(
                name: "CK_mailboxes_poll_interval",
                table: "mailboxes");

            migrationBuilder.DropCheckConstraint(
                name: "CK_mailboxes_security",
                table: "mailboxes");
        }
    }
}
