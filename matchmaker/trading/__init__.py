"""交易: 挂牌交易 / 竞价拍卖 (listings and auctions), bids and their publication."""
