"""English dates as the site has always written them ("1 December 2026, 09:30"),
where Django's own English formats are American ("Dec. 1, 2026"). Chinese uses
Django's zh_Hans formats ("2026年12月1日"). Templates name the format
(``|date:"DATE_FORMAT"``), never a pattern, so each language gets its own."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
