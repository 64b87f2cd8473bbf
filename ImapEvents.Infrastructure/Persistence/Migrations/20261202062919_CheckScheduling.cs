using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ImapEvents.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class CheckScheduling : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "DueAt",
                table: "mailbox_checks",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "check_schedule",
                columns: table => new
                {
                    MailboxId = table.Column<Guid>(type: "uuid", nullable: false),
                    DueAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LeasedBy = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    LeasedUntil = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_check_schedule", x => x.MailboxId);
                    table.ForeignKey(
                        name: "FK_check_schedule_mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_mailbox_checks_started",
                table: "mailbox_checks",
                column: "StartedAt");

            migrationBuilder.CreateIndex(
                name: "IX_imported_messages_with_body",
                table: "imported_messages",
                column: "ImportedAt",
                filter: "octet_length(\"RawMime\") > 0");

            migrationBuilder.CreateIndex(
                name: "IX_check_schedule_due",
                table: "check_schedule",
                column: "DueAt",
                filter: "\"DueAt\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "check_schedule");

            migrationBuilder.DropIndex(
                name: "IX_mailbox_checks_started",
                table: "mailbox_checks");

            migrationBuilder.DropIndex(
                name: "IX_imported_messages_with_body",
                table: "imported_messages");

            migrationBuilder.DropColumn(
                name: "DueAt",
                table: "mailbox_checks");
        }
    }
}
