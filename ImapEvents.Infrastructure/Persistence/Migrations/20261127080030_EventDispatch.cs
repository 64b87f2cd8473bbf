using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ImapEvents.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class EventDispatch : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_imap_events_OccurredAt",
                table: "imap_events");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "DispatchedAt",
                table: "imap_events",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_imap_events_undispatched",
                table: "imap_events",
                column: "OccurredAt",
                filter: "\"DispatchedAt\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_imap_events_undispatched",
                table: "imap_events");

            migrationBuilder.DropColumn(
                name: "DispatchedAt",
                table: "imap_events");

            migrationBuilder.CreateIndex(
                name: "IX_imap_events_OccurredAt",
                table: "imap_events",
                column: "OccurredAt");
        }
    }
}
