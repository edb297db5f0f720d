"""Where a page is drawn: the view model, the HTML page, the PDF deck and the Quarto export."""
