using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ImapEvents.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class InterruptedChecks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "LastInterruptedCheckAt",
                table: "mailbox_status",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LastInterruption",
                table: "mailbox_status",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RunBy",
                table: "mailbox_checks",
                type: "character varying(300)",
                maxLength: 300,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_mailbox_checks_running",
                table: "mailbox_checks",
                column: "StartedAt",
                filter: "\"Outcome\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_mailbox_checks_running",
                table: "mailbox_checks");

            migrationBuilder.DropColumn(
                name: "LastInterruptedCheckAt",
                table: "mailbox_status");

            migrationBuilder.DropColumn(
                name: "LastInterruption",
                table: "mailbox_status");

            migrationBuilder.DropColumn(
                name: "RunBy",
                table: "mailbox_checks");
        }
    }
}
