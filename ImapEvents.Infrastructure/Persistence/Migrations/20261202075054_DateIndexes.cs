using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ImapEvents.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class DateIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_imap_events_OccurredAt",
                table: "imap_events",
                column: "OccurredAt");

            migrationBuilder.CreateIndex(
                name: "IX_deliveries_CreatedAt",
                table: "deliveries",
                column: "CreatedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_imap_events_OccurredAt",
                table: "imap_events");

            migrationBuilder.DropIndex(
                name: "IX_deliveries_CreatedAt",
                table: "deliveries");
        }
    }
}
